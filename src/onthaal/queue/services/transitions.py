"""A ticket's transitions at a desk (recall, start, finish with what was delivered, no-show)
and at reception (priority, cancel).

A transition is a conditional UPDATE (``WHERE status IN <allowed from>``): of two requests
that race for the same ticket, exactly one changes a row; the other sees 0 rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field
from django.utils.translation import gettext as _

from onthaal.audit.services import change_with_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.organisation.models import Desk
from onthaal.queue.models import TRANSITIONS, DeliveredProduct, Status, Ticket
from onthaal.queue.services.desks import require_at_desk, require_ticket
from onthaal.queue.services.shared import apply, event_args, live, moved_on, record, with_status
from onthaal.queue.statements import CHANGED, transition_changes

MAX_QUANTITY = 20


def get_ticket(pk: Any) -> Ticket:
    try:
        return Ticket.objects.select_related("queue", "queue__department", "desk").get(pk=int(pk))
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("This ticket does not exist.")) from None


def _transition(
    ticket: Ticket,
    action: str,
    actor: Any,
    *,
    live_kind: str,
    details: Mapping[str, Any],
    delivered: Iterable[tuple[Product, int]] = (),
    **changes: Any,
) -> Ticket:
    """Apply ``action`` to ``ticket`` (loaded with its queue, department and desk), record
    what was ``delivered`` and the audit event (with ``details``), and tell the screens."""
    items = list(delivered)
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and not any(hasattr(value, "resolve_expression") for value in changes.values())
    ):
        changed = _transition_and_record(ticket, action, actor, details, items, changes)
    else:
        with transaction.atomic():
            changed = apply(ticket, action, **changes)
            DeliveredProduct.objects.bulk_create(
                [DeliveredProduct(ticket=changed, product=p, quantity=q) for p, q in items]
            )
            record(changed, action, actor, **details)
    live(changed, live_kind)
    return changed


def _transition_and_record(
    ticket: Ticket,
    action: str,
    actor: Any,
    details: Mapping[str, Any],
    items: list[tuple[Product, int]],
    changes: dict[str, Any],
) -> Ticket:
    """PostgreSQL, outside a transaction: the transition, what was delivered and the audit
    event in one round trip (``statements.TRANSITION_CHANGES``)."""
    allowed_from, to = TRANSITIONS[action]
    changes = with_status(action, changes)
    params: dict[str, Any] = {
        "ticket": ticket.pk,
        "allowed": list(allowed_from),
        "products": [p.pk for p, _ in items],
        "quantities": [q for _, q in items],
    }
    sets = []
    for name in sorted(changes):  # one statement text per action: it is prepared
        field = Ticket._meta.get_field(name)
        assert isinstance(field, Field)
        params[f"set_{field.column}"] = field.get_db_prep_save(changes[name], connection)
        sets.append(f'"{field.column}" = %(set_{field.column})s')
    event = event_args(ticket, action, actor, **details)
    event["details"]["status"] = to
    row = change_with_event(
        transition_changes(sets),
        params,
        subject="changed",
        filled={},
        returning=CHANGED.sql,
        **event,
    )
    if row is None:
        raise moved_on(ticket, allowed_from)
    changed = CHANGED.required(row, 0, connection)
    changed.queue = ticket.queue  # what the screens need; the transitions keep queue and desk
    changed.desk = ticket.desk
    return changed


def recall(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    require_at_desk(actor, ticket, desk)
    return _transition(
        ticket,
        "recall",
        actor,
        live_kind="recalled",
        details={"desk": desk.pk},
        recalled_at=clock.now(),
        recalls=F("recalls") + 1,
    )


def start(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    require_at_desk(actor, ticket, desk)
    return _transition(
        ticket,
        "start",
        actor,
        live_kind="started",
        details={"desk": desk.pk},
        started_at=clock.now(),
    )


def _clean_delivered(ticket: Ticket, delivered: Mapping[int, int]) -> list[tuple[Product, int]]:
    wanted = {int(k): int(v) for k, v in delivered.items() if int(v) != 0}
    if not wanted:
        return []
    if any(q < 0 or q > MAX_QUANTITY for q in wanted.values()):
        raise DomainError(
            _("The quantities are not valid."),
            fields={
                "products": [_("A quantity is between 0 and %(max)s.") % {"max": MAX_QUANTITY}]
            },
        )
    products = {p.pk: p for p in Product.objects.filter(pk__in=wanted)}
    if len(products) != len(wanted):
        raise DomainError(
            _("The products are not valid."), fields={"products": [_("Unknown product.")]}
        )
    return [(products[pk], qty) for pk, qty in wanted.items()]


def finish(
    *, ticket: Ticket, desk: Desk, actor: Any, delivered: Mapping[int, int] | None = None
) -> Ticket:
    """Close the service and record what was delivered (product -> quantity)."""
    require_at_desk(actor, ticket, desk)
    items = _clean_delivered(ticket, delivered or {})
    now = clock.now()
    return _transition(
        ticket,
        "finish",
        actor,
        live_kind="finished",
        details={"delivered": {p.slug: q for p, q in items}},
        delivered=items,
        finished_at=now,
        started_at=ticket.started_at or now,
    )


def no_show(*, ticket: Ticket, desk: Desk, actor: Any) -> Ticket:
    require_at_desk(actor, ticket, desk)
    return _transition(
        ticket, "no_show", actor, live_kind="no_show", details={}, finished_at=clock.now()
    )


def set_priority(*, ticket: Ticket, actor: Any, priority: bool) -> Ticket:
    require_ticket(actor, "queue.issue", ticket)
    with transaction.atomic():
        updated = Ticket.objects.filter(pk=ticket.pk, status=Status.WAITING).update(
            priority=priority
        )
        if updated != 1:
            raise Conflict(_("Only a waiting ticket can get priority."), code="invalid_state")
        ticket.refresh_from_db()
        record(ticket, "priority", actor, priority=priority)
        live(ticket, "updated")
    return ticket


def cancel(*, ticket: Ticket, actor: Any, reason: str) -> Ticket:
    with transaction.atomic():
        ticket = apply(ticket, "cancel", finished_at=clock.now(), close_reason=reason[:200])
        record(ticket, "cancel", actor, reason=reason[:200])
        live(ticket, "cancelled")
    return ticket
