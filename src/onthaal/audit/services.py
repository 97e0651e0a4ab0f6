"""Writing audit events.

``record_event`` appends one event to a chain inside the caller's transaction, so a write and
its event commit or roll back together. Appends to one chain are serialised so it never forks:
on PostgreSQL by a transaction-scoped advisory lock on the chain, taken before its head is read
(held until commit, so the next writer reads the committed head); the log has ``CHAINS``
chains, so concurrent writers take different ones and do not wait for each other (ADR 0010).
On SQLite the database's single writer serialises appends (transactions begin IMMEDIATE, see
settings), and one chain serves.

``change_with_event`` (PostgreSQL, outside a transaction) makes a change and appends its event
in one statement after the chain lock, sent with BEGIN and COMMIT in one round trip: for the
kiosk's and the desk's writes (ADR 0007).

``record_refusal`` records a refused access so that it survives the rollback of the refused
request: outside a transaction it is written at once; inside one it is kept aside and written
by ``AuditRefusalMiddleware`` (or ``flush_pending_refusals``) after the request's transactions
have ended. A refusal of an anonymous request is counted instead, and written once per client
and minute with the count (``onthaal.audit.refusals``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Required, TypedDict, Unpack

from django.db import connections, router, transaction
from psycopg import Cursor
from psycopg.pq import TransactionStatus

from onthaal.accounts.roles import roles
from onthaal.audit import chain
from onthaal.audit.models import Action, ActorType, AuditEvent
from onthaal.core import client, clock, context
from onthaal.operations import metrics

if TYPE_CHECKING:
    from django.http import HttpRequest

    from onthaal.organisation.models import Department

# Any constant; with a chain's number, identifies that chain's advisory lock on PostgreSQL.
CHAIN_LOCK_KEY = 658711
# How many chains the log has on PostgreSQL (ADR 0010). It may grow, never shrink: the anchor
# and the heads read chains 0 to CHAINS - 1.
CHAINS = 16
# The chain of the writes made in one round trip (change_with_event, ADR 0007) and of the
# transactions that lock_chain(): they stay serialised among themselves, as those statements
# were designed (a desk's finish skips a ticket row another of them holds; the day's counter
# is locked after the chain). Every other append takes one of the other chains.
SERIAL_CHAIN = 0
# The transaction-local setting that says which chain this transaction appends to.
CHAIN_SETTING = "onthaal.audit_chain"

# PostgreSQL appends in one round trip: take a chain's lock, then (a second statement, with a
# snapshot taken after the lock was granted) insert the event after that chain's committed
# head, its hash computed by the database from the canonical bytes around the head's hash. No
# Python runs between reading the head and writing the event, so the lock is held for the
# least time.
#
# The lock: a transaction keeps the chain it took first (the setting, local to the
# transaction, and the lock go together, also when a savepoint rolls back), and so never waits
# for a second one. Else record_event takes the first free chain (but the serial one) from one
# that depends on its connection, without waiting; only when all are taken does it wait for
# that one. So writers do not queue behind one another, and a long transaction that has
# appended holds up nobody.
#
# APPEND_COLUMNS: the chained fields but the last, prev_hash (the database reads it), in the
# order of APPEND_SQL's parameters.
APPEND_COLUMNS = chain.CHAINED_FIELDS[:-1]
assert chain.CHAINED_FIELDS[-1] == "prev_hash"
# (Only constants go into these statements: noqa S608.)
_FIRST, _OTHERS = SERIAL_CHAIN + 1, CHAINS - 1
APPEND_LOCK_SQL = f"""SELECT set_config('{CHAIN_SETTING}', coalesce(
    nullif(current_setting('{CHAIN_SETTING}', true), ''),
    (SELECT k::text
       FROM (SELECT {_FIRST} + mod(pg_backend_pid() + i, {_OTHERS}) AS k
               FROM generate_series(0, {_OTHERS - 1}) AS i) AS free
      WHERE pg_try_advisory_xact_lock({CHAIN_LOCK_KEY}, k) LIMIT 1),
    (SELECT ({_FIRST} + mod(pg_backend_pid(), {_OTHERS}))::text
       FROM pg_advisory_xact_lock({CHAIN_LOCK_KEY}, {_FIRST} + mod(pg_backend_pid(), {_OTHERS})))
), true);"""  # noqa: S608
SERIAL_LOCK_SQL = f"""SELECT set_config('{CHAIN_SETTING}', coalesce(
    nullif(current_setting('{CHAIN_SETTING}', true), ''),
    (SELECT '{SERIAL_CHAIN}' FROM pg_advisory_xact_lock({CHAIN_LOCK_KEY}, {SERIAL_CHAIN}))
), true);"""  # noqa: S608
# The event's columns (the chained fields, the hash, the chain) and the committed head of the
# chain this transaction holds, as both ways of appending write and read them.
EVENT_COLUMNS_SQL = ", ".join(f'"{name}"' for name in (*chain.CHAINED_FIELDS, "hash", "chain"))
HEAD_SQL = f"""
    SELECT held.chain, coalesce(
        (SELECT "hash" FROM "audit_auditevent" WHERE "chain" = held.chain
          ORDER BY "id" DESC LIMIT 1),
        lpad(to_hex(held.chain::integer), 64, '0')
    ) AS hash
    FROM (SELECT current_setting('{CHAIN_SETTING}')::smallint AS chain) AS held"""  # noqa: S608
INSERT_SQL = f"""
INSERT INTO "audit_auditevent" ({EVENT_COLUMNS_SQL})
SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::inet, %s, %s::jsonb,
    head.hash, encode(sha256(%s::bytea || convert_to(head.hash, 'UTF8') || %s::bytea), 'hex'),
    head.chain
FROM ({HEAD_SQL}) AS head
RETURNING "id", "prev_hash", "hash", "chain"
"""  # noqa: S608

# change_with_event: after the chain lock, the change and its event in one statement. The head
# is read once (MATERIALIZED): it is used twice, for prev_hash and in the hash.
CHANGE_SQL = """
WITH {changes},
head AS MATERIALIZED ({head}),
event AS (
    INSERT INTO "audit_auditevent" ({event_columns})
    SELECT {columns}, head.hash, encode(sha256({digest}), 'hex'), head.chain
      FROM {subject}, head
    RETURNING "id"
)
SELECT {returning} FROM {subject}, event
"""


# Fields whose values must never be written to the log (only that they changed).
SECRET_FIELDS = frozenset({"password", "token", "secret", "key", "manage_token", "token_hash"})

_pending_refusals: ContextVar[list[dict[str, Any]] | None] = ContextVar(
    "pending_refusals", default=None
)


def _actor_fields(actor: Any) -> dict[str, str]:
    if actor is None:
        return {"actor_type": ActorType.SYSTEM, "actor_id": "", "actor_label": "system"}
    if isinstance(actor, str):
        # A citizen acting through a token, or a named system component.
        kind, _, ident = actor.partition(":")
        if actor == ActorType.ANONYMOUS:
            return {"actor_type": ActorType.ANONYMOUS, "actor_id": "", "actor_label": ""}
        if kind == ActorType.CITIZEN:
            return {"actor_type": ActorType.CITIZEN, "actor_id": ident[:64], "actor_label": ""}
        if kind == ActorType.DEVICE:  # a kiosk, screen or ticket printer (onthaal.devices)
            return {"actor_type": ActorType.DEVICE, "actor_id": ident[:64], "actor_label": actor}
        return {"actor_type": ActorType.SYSTEM, "actor_id": "", "actor_label": actor[:200]}
    if not getattr(actor, "is_authenticated", False):
        return {"actor_type": ActorType.ANONYMOUS, "actor_id": "", "actor_label": ""}
    return {
        "actor_type": ActorType.STAFF,
        "actor_id": str(actor.pk),
        "actor_label": actor.get_username()[:200],
    }


def _role_of(actor: Any) -> str:
    if actor is None or isinstance(actor, str) or not getattr(actor, "is_authenticated", False):
        return ""
    return ",".join(sorted(roles(actor)))[:100]


def _request_fields(request: HttpRequest | None) -> dict[str, Any]:
    if request is None:  # a task or the worker's round: its id, if it has one
        return {"request_id": context.current_request_id.get()[:64], "ip": None, "user_agent": ""}
    return {
        "request_id": getattr(request, "request_id", "")[:64],
        "ip": client.address(request),  # forwarded headers only from trusted proxies
        "user_agent": request.headers.get("User-Agent", "")[:300],
    }


def scrub(details: dict[str, Any]) -> dict[str, Any]:
    """Replace secret values by a marker; keep the fact that they were there."""
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(secret in key.lower() for secret in SECRET_FIELDS):
            clean[key] = "***"
        elif isinstance(value, dict):
            clean[key] = scrub(value)
        else:
            clean[key] = value
    return clean


def _count(action: str) -> None:
    """Count an appended event for /metrics (and a failed sign-in as one)."""
    metrics.AUDIT_APPENDS.labels(action).inc()
    if action == Action.LOGIN_FAILED:
        metrics.FAILED_LOGINS.inc()


def _append(fields: dict[str, Any]) -> AuditEvent:
    using = router.db_for_write(AuditEvent)
    fields["at"] = clock.now()
    action = str(fields["action"])
    # No savepoint: the event belongs to the caller's transaction and fails with it.
    with transaction.atomic(using=using, savepoint=False):
        # Counted once committed: an event rolled back with its change was never appended.
        transaction.on_commit(lambda: _count(action), using=using)
        connection = connections[using]
        if connection.vendor == "postgresql":
            return _append_postgresql(using, fields)
        # SQLite: the IMMEDIATE transaction already holds the database's single write lock,
        # so one chain serves.
        head = AuditEvent.objects.using(using).filter(chain=0).order_by("-pk")
        fields["prev_hash"] = head.values_list("hash", flat=True).first() or chain.genesis(0)
        fields["hash"] = chain.event_hash(fields)
        return AuditEvent.objects.using(using).create(**fields, chain=0)


def _append_postgresql(using: str, fields: dict[str, Any]) -> AuditEvent:
    """Append in one round trip, inside the caller's transaction: the lock and the insert as a
    pipeline, each a statement bound by the server, so PostgreSQL prepares them once they
    recur instead of planning them at every event."""
    before, after = chain.canonical_around_prev_hash(fields)
    params = [json.dumps(fields[c]) if c == "details" else fields[c] for c in APPEND_COLUMNS]
    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with (
        connection.wrap_database_errors,
        wrap(Cursor(raw)) as lock,  # type: ignore[arg-type]  # stubs: a DB-API cursor is wrapped
        wrap(Cursor(raw)) as cursor,  # type: ignore[arg-type]
    ):
        with raw.pipeline():
            lock.execute(APPEND_LOCK_SQL)
            cursor.execute(INSERT_SQL, [*params, before, after])
        row = cursor.fetchone()
    assert row is not None
    pk, fields["prev_hash"], fields["hash"], number = row
    event = AuditEvent(pk=pk, chain=number, **fields)
    event._state.adding = False
    event._state.db = using
    return event


def _after_chain_lock(using: str, statements: Sequence[tuple[str, Any]]) -> tuple[Any, ...] | None:
    """Run ``statements`` (sql, params) after taking the chain lock, as one transaction in one
    round trip, outside the caller's transactions; the first row of the last one's result.

    BEGIN, the lock, the statements and COMMIT go together as a pipeline. Each statement takes
    its snapshot when it runs, after the lock was granted, so it reads the committed head of
    the chain; each is prepared once it recurs, as any other statement is. An error ends the
    pipeline there and nothing is kept: the server skips the rest up to the pipeline's end,
    and the failed transaction is rolled back. (BEGIN and COMMIT are sent rather than left to
    the pipeline's implicit transaction: psycopg 3.3 leaves the connection unusable when the
    commit of an implicit transaction fails, as a deferred foreign key check can.)"""
    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    assert raw.autocommit and not connection.in_atomic_block, "outside a transaction only"
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with (
        connection.wrap_database_errors,
        wrap(raw.cursor()) as control,
        wrap(raw.cursor()) as cursor,
    ):
        try:
            with raw.pipeline():
                control.execute("BEGIN")
                control.execute(SERIAL_LOCK_SQL)
                for sql, params in statements:
                    cursor.execute(sql, params)
                control.execute("COMMIT")
        except Exception:
            if raw.info.transaction_status in (
                TransactionStatus.INTRANS,
                TransactionStatus.INERROR,
            ):
                raw.execute("ROLLBACK")
            raise
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def lock_chain() -> None:
    """Take the serial chain's lock now, in the caller's transaction (PostgreSQL), unless it
    already holds a chain: for a transaction that locks a row which a write after the chain
    lock also locks (``change_with_event``), so that both lock in the same order (or this one
    never waits for a chain). The transaction's events go to that chain."""
    using = router.db_for_write(AuditEvent)
    assert connections[using].in_atomic_block, "the lock is held until the transaction ends"
    with connections[using].cursor() as cursor:
        cursor.execute(SERIAL_LOCK_SQL)


def change_with_event(
    changes: str,
    params: Mapping[str, Any],
    *,
    subject: str,
    filled: Mapping[str, str],
    returning: str,
    **event: Any,
) -> tuple[Any, ...] | None:
    """Make a change and append the audit event about the row it changed, as one transaction
    in one round trip (PostgreSQL, outside a transaction; ADR 0007). For changes whose row is
    chosen by the database, such as the waiting ticket a desk claims.

    ``changes``: data-modifying ``WITH`` queries (``changed AS (UPDATE ... RETURNING ...)``)
    with named parameters from ``params``. ``subject``: a FROM list over them that gives at
    most one row, the event's subject. ``filled``: the event's fields, or ``details.<key>``,
    that come from that row, as SQL over ``subject`` (values written alike as JSON by
    PostgreSQL and Python: see ``chain.canonical_with_holes``); ``event``: the others, as for
    ``record_event``. Returns the row ``returning`` (a SELECT list over ``subject``) gives,
    or None when nothing changed: then no event is written either.

    The chain lock is taken first, by a statement of its own (``_after_chain_lock``)."""
    using = router.db_for_write(AuditEvent)
    connection = connections[using]
    assert connection.vendor == "postgresql" and not connection.in_atomic_block
    fields = _event_fields(**event)
    fields["at"] = clock.now()
    pieces, order = chain.canonical_with_holes(fields, [*filled, "prev_hash"])
    expressions = {**filled, "prev_hash": "head.hash"}
    values: dict[str, Any] = {}
    columns = []
    for column in APPEND_COLUMNS:
        if column in filled:
            columns.append(f"({filled[column]})")
            continue
        values[f"event_{column}"] = fields[column]
        cast = {"ip": "::inet", "details": "::jsonb"}.get(column, "")
        columns.append(f"%(event_{column})s{cast}")
    in_details = {h.removeprefix("details."): e for h, e in filled.items() if h[:8] == "details."}
    details = {k: v for k, v in fields["details"].items() if k not in in_details}
    values["event_details"] = json.dumps(details)
    if in_details:
        pairs = ", ".join(f"'{key}', ({expression})" for key, expression in in_details.items())
        columns[APPEND_COLUMNS.index("details")] += f" || jsonb_build_object({pairs})"
    digest = ["%(event_piece_0)s::bytea"]
    values["event_piece_0"] = pieces[0]
    for n, hole in enumerate(order, start=1):
        digest.append(f"convert_to(coalesce(to_json({expressions[hole]})::text, 'null'), 'UTF8')")
        digest.append(f"%(event_piece_{n})s::bytea")
        values[f"event_piece_{n}"] = pieces[n]
    sql = CHANGE_SQL.format(
        changes=changes,
        head=HEAD_SQL,
        event_columns=EVENT_COLUMNS_SQL,
        columns=", ".join(columns),
        digest=" || ".join(digest),
        subject=subject,
        returning=returning,
    )
    row = _after_chain_lock(using, [(sql, {**params, **values})])
    if row is not None:  # committed with its change
        _count(str(fields["action"]))
    return row


class EventArgs(TypedDict, total=False):
    """What an audit event says, as ``record_event`` takes it."""

    action: Required[str]
    actor: Any
    object_type: str
    object_id: Any
    department: Department | None
    organisation_id: int | None
    details: dict[str, Any] | None
    request: HttpRequest | None


def record_event(**event: Unpack[EventArgs]) -> AuditEvent:
    """Append an event to the chain, in the caller's transaction.

    ``actor`` is a user, ``"citizen:<reference>"`` for a citizen acting with a token,
    ``"device:<name>"`` for a kiosk, screen or ticket printer, or ``None`` for the system.
    ``request`` defaults to the request being served.
    """
    return _append(_event_fields(**event))


def _event_fields(
    *,
    action: str,
    actor: Any = None,
    object_type: str = "",
    object_id: Any = "",
    department: Department | None = None,
    organisation_id: int | None = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    if request is None:
        request = context.current_request.get()
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if organisation_id is None and department is not None:
        organisation_id = department.organisation_id
    fields: dict[str, Any] = {
        **_actor_fields(actor),
        "role": _role_of(actor),
        "action": str(action),
        "object_type": object_type,
        "object_id": str(object_id) if object_id not in (None, "") else "",
        "organisation_id": organisation_id,
        "department_id": department.pk if department is not None else None,
        **_request_fields(request),
        "details": scrub(details or {}),
    }
    return fields


def record_refusal(
    *,
    actor: Any,
    capability: str = "",
    department: Department | None = None,
    object_type: str = "",
    object_id: Any = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Record a refused access so that it survives the rollback of the refused request."""
    event = {
        "action": Action.PERMISSION_DENIED,
        "actor": actor,
        "object_type": object_type,
        "object_id": object_id,
        "department": department,
        "details": {**(details or {}), **({"capability": capability} if capability else {})},
        "request": context.current_request.get(),
    }
    using = router.db_for_write(AuditEvent)
    if not connections[using].in_atomic_block:
        _write_refusal(event)
        return
    pending = _pending_refusals.get()
    if pending is None:
        pending = []
        _pending_refusals.set(pending)
    pending.append(event)


def flush_pending_refusals() -> int:
    """Write refusals kept aside during a transaction. Call outside any transaction."""
    pending = _pending_refusals.get()
    if not pending:
        return 0
    _pending_refusals.set(None)
    for event in pending:
        _write_refusal(event)
    return len(pending)


def _write_refusal(event: dict[str, Any]) -> None:
    """One event for a refusal of a user; a refusal of an anonymous request is counted in its
    client's tally for the minute instead (``onthaal.audit.refusals``)."""
    from onthaal.audit import refusals  # it writes its tallies with record_event

    if _actor_fields(event["actor"])["actor_type"] == ActorType.ANONYMOUS:
        refusals.count(event)
    else:
        record_event(**event)
