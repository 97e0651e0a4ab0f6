"""The audit chain: verification finds a changed, deleted or inserted row, naming it."""

import datetime as dt
import hashlib
import io
import itertools
import json
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory

from onthaal.audit import chain
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import record_event

pytestmark = pytest.mark.django_db


def _events(n):
    return [
        record_event(action="create", object_type="thing", object_id=i, details={"n": i})
        for i in range(n)
    ]


def _verify(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


@contextmanager
def tampering():
    """What someone with the table owner's rights could do: switch the trigger off."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
    try:
        yield
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
                )


def test_each_event_links_to_the_one_before():
    events = _events(5)
    assert len({e.chain for e in events}) == 1  # one writer keeps to its chain
    assert events[0].prev_hash == chain.genesis(events[0].chain)
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash
    assert all(e.hash == chain.event_hash(e.__dict__) for e in events)


def test_the_stored_hash_is_the_hash_of_the_stored_content():
    # On PostgreSQL the database computes the hash around the head it reads under the lock;
    # it must be the hash that verification computes from the row as read back.
    awkward = {"note": 'Zoë "quoted" \\ é€', "prev_hash": "0" * 64, "nested": {"a": [1, 2.5]}}
    written = record_event(action="view", object_type="thing", object_id="x", details=awkward)
    stored = AuditEvent.objects.get(pk=written.pk)
    assert (stored.prev_hash, stored.hash) == (written.prev_hash, written.hash)
    assert stored.details == awkward
    assert stored.hash == chain.event_hash(stored.__dict__)


def test_the_canonical_bytes_split_around_the_previous_hash():
    fields = {"action": "view", "details": {"prev_hash": "x"}, "prev_hash": "ab" * 32}
    before, after = chain.canonical_around_prev_hash(fields)
    assert before + ("ab" * 32).encode() + after == chain.canonical(fields)


def test_the_canonical_bytes_cut_at_the_holes_join_back_with_the_values_as_json():
    fields = {
        "action": "transition",
        "object_id": "123",
        "department_id": 5,
        "organisation_id": None,
        "details": {"transition": "call", "code": "B001", "desk": 7},
        "prev_hash": "ab" * 32,
    }
    holes = ["object_id", "organisation_id", "department_id", "details.code", "prev_hash"]
    pieces, order = chain.canonical_with_holes(fields, holes)
    assert sorted(order) == sorted(holes) and len(pieces) == len(holes) + 1
    assert order.index("department_id") < order.index("details.code") < order.index("prev_hash")

    def value(hole: str) -> object:
        if hole.startswith("details."):
            return fields["details"][hole.removeprefix("details.")]
        return fields[hole]

    joined = pieces[0] + b"".join(
        json.dumps(value(hole)).encode() + piece
        for hole, piece in zip(order, pieces[1:], strict=True)
    )
    assert joined == chain.canonical(fields)


def test_verify_passes_on_the_demo():
    call_command("load_demo", stdout=io.StringIO())
    code, output = _verify()
    assert code == 0
    assert f"{AuditEvent.objects.count()} events" in output


def test_verify_names_a_changed_event():
    events = _events(5)
    with tampering():
        AuditEvent.objects.filter(pk=events[2].pk).update(details={"n": 99})
    code, output = _verify()
    assert code == 1
    assert f"event #{events[2].pk}: content changed" in output


def test_verify_names_the_event_after_a_deleted_one():
    events = _events(5)
    with tampering():
        AuditEvent.objects.filter(pk=events[2].pk).delete()
    code, output = _verify()
    assert code == 1
    assert f"event #{events[3].pk}: previous event missing or replaced" in output
    assert f"event #{events[1].pk}" in output


def test_verify_names_an_inserted_event():
    events = _events(5)
    # A forged event slipped in between events 2 and 3, with a correctly computed hash. It
    # cannot claim to follow event 2 (prev_hash is unique: that would fork the chain), so it
    # points elsewhere.
    fields = {f: getattr(events[1], f) for f in chain.CHAINED_FIELDS}
    fields.update(details={"forged": True}, prev_hash=chain.GENESIS[:-1] + "1")
    with tampering():
        for event in reversed(events[2:]):
            AuditEvent.objects.filter(pk=event.pk).update(id=event.pk + 100)
        forged = AuditEvent.objects.create(
            pk=events[1].pk + 50, hash=chain.event_hash(fields), chain=events[1].chain, **fields
        )
    code, output = _verify()
    assert code == 1
    assert f"event #{forged.pk}: inserted into the chain" in output


def test_a_forged_event_cannot_take_an_existing_place_in_the_chain():
    events = _events(3)
    fields = {f: getattr(events[0], f) for f in chain.CHAINED_FIELDS}
    fields.update(details={"forged": True}, prev_hash=events[0].hash)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.create(hash=chain.event_hash(fields), **fields)


def test_verify_detects_a_cut_off_tail_against_a_kept_head():
    events = _events(3)
    kept_head = events[-1].hash
    with tampering():
        AuditEvent.objects.filter(pk=events[-1].pk).delete()
    assert _verify()[0] == 0  # the rest of the chain is still consistent...
    with pytest.raises(Exception, match="no longer in the chain"):
        call_command("audit", "verify", "--expect-head", kept_head, stdout=io.StringIO())


def test_head_prints_count_and_the_digest_of_the_chains_heads():
    events = _events(2)
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    last = AuditEvent.objects.get(pk=events[-1].pk)
    others = AuditEvent.objects.exclude(chain=last.chain)
    assert not others.exists()  # one writer, one chain
    assert out.getvalue().split() == ["2", chain.heads_digest({last.chain: (last.pk, last.hash)})]


def test_secret_values_never_reach_the_log():
    event = record_event(
        action="update",
        details={"password": "hunter2", "changed": ["name"], "nested": {"token": "abc"}},
    )
    assert event.details == {"password": "***", "changed": ["name"], "nested": {"token": "***"}}


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete():
    event = _events(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "create"


def test_a_fork_is_refused_by_the_database():
    first = _events(1)[0]
    fields = {f: getattr(first, f) for f in chain.CHAINED_FIELDS}
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.create(hash="e" * 64, **fields)  # a second event after the same one


# Known answers: the canonical bytes and hash of an event are a format that stored logs keep;
# any change to it (key order, separators, time format, escaping) breaks every stored chain.
KNOWN_FIELDS = {
    "at": dt.datetime(2026, 3, 29, 1, 30, 5, 120, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    "actor_type": "staff",
    "actor_id": "7",
    "actor_label": "an.peeters",
    "role": "desk_agent",
    "action": "view",
    "object_type": "mail.item",
    "object_id": "42",
    "organisation_id": 1,
    "department_id": None,
    "request_id": "r1",
    "ip": "192.0.2.1",
    "user_agent": "Firefox",
    "details": {"zeta": 1, "alpha": {"b": 2, "a": "Zoë"}},
    "prev_hash": "ab" * 32,
}
KNOWN_CANONICAL = (
    '{"action":"view","actor_id":"7","actor_label":"an.peeters","actor_type":"staff",'
    '"at":"2026-03-29T00:30:05.000120Z","department_id":null,'
    '"details":{"alpha":{"a":"Zoë","b":2},"zeta":1},"ip":"192.0.2.1","object_id":"42",'
    '"object_type":"mail.item","organisation_id":1,'
    '"prev_hash":"abababababababababababababababababababababababababababababababab",'
    '"request_id":"r1","role":"desk_agent","user_agent":"Firefox"}'
)
KNOWN_HASH = "2205b2a0d01d62e1cd2dd5d9eff09b797072c79a6fb2c8f42d9237bb28793d2a"


def test_known_answer_canonical_bytes_and_hash():
    assert chain.canonical(KNOWN_FIELDS) == KNOWN_CANONICAL.encode()
    assert chain.event_hash(KNOWN_FIELDS) == KNOWN_HASH
    # The time may come already written (as verification reads it from PostgreSQL).
    written = {**KNOWN_FIELDS, "at": "2026-03-29T00:30:05.000120Z"}
    assert chain.event_hash(written) == KNOWN_HASH


@pytest.mark.parametrize(
    "details",
    [
        {"alpha": {"a": "Zoë", "b": 2}, "zeta": 1},
        {"text": 'a\u0001"\\ /<>&\u2028\U0001f600', "ids": [1, "2", None, True]},
        # Values orjson writes otherwise than json, or refuses: the answer is still json's.
        {"float": 1e16, "small": 1e-7, "half": 0.5},
        {"big": 123456789012345678901234567890},
        {"nan": float("nan"), "inf": float("inf")},
    ],
)
def test_the_fast_hash_check_answers_as_the_canonical_hash(details):
    fields = {**KNOWN_FIELDS, "details": details}
    right = chain.event_hash(fields)
    assert chain.hash_matches(fields, right)
    assert not chain.hash_matches(fields, "ab" * 32)
    assert not chain.hash_matches({**fields, "object_id": "43"}, right)
    # As verification reads it from PostgreSQL: the time already written.
    written = {**fields, "at": chain.canonical_time(fields["at"])}
    assert chain.hash_matches(written, right)


def test_the_fast_hash_check_is_fast_because_it_writes_the_canonical_bytes():
    """For the values the log holds, orjson writes exactly the canonical bytes: the fast path
    is taken, not the fallback."""
    import orjson

    data = {name: KNOWN_FIELDS.get(name) for name in chain.CHAINED_FIELDS}
    data["at"] = chain.canonical_time(data["at"])
    assert orjson.dumps(data, option=orjson.OPT_SORT_KEYS) == KNOWN_CANONICAL.encode()


def test_known_answer_genesis_and_head_of_heads():
    assert chain.genesis(0) == chain.GENESIS == "0" * 64
    assert chain.genesis(11) == "0" * 63 + "b"
    heads = {3: (9, "bb" * 32), 0: (5, "aa" * 32)}
    expected = hashlib.sha256(f"0 {'aa' * 32}\n3 {'bb' * 32}\n".encode()).hexdigest()
    assert chain.heads_digest(heads) == expected
    assert chain.heads_digest({}) == chain.GENESIS


def _rows(count: int, number: int = 0, first_pk: int = 1) -> list[dict]:
    """A well-formed chain of ``count`` rows, as verification reads them."""
    rows, previous = [], chain.genesis(number)
    for n in range(count):
        fields = {**KNOWN_FIELDS, "object_id": str(n), "prev_hash": previous}
        previous = chain.event_hash(fields)
        rows.append({**fields, "pk": first_pk + n, "chain": number, "hash": previous})
    return rows


def test_verify_walks_interleaved_chains_each_from_its_own_genesis():
    zero, five = _rows(4, 0, first_pk=1), _rows(3, 5, first_pk=100)
    interleaved = sorted(zero + five, key=lambda r: (r["object_id"], r["chain"]))
    for pk, row in enumerate(interleaved, start=1):
        row["pk"] = pk
    result = chain.verify_chain(interleaved)
    assert (result.ok, result.count, result.message) == (True, 7, "")
    assert result.heads == {
        0: (zero[-1]["pk"], zero[-1]["hash"]),
        5: (five[-1]["pk"], five[-1]["hash"]),
    }
    assert result.head == chain.heads_digest(result.heads)


def test_verify_names_the_event_before_as_inserted_when_the_next_follows_the_one_before_it():
    # Possible only once the unique constraint on prev_hash is dropped (the table owner can):
    # a forged event claims the place after event 2, and event 3 still follows event 2.
    rows = _rows(4)
    forged = {**KNOWN_FIELDS, "details": {"forged": True}, "prev_hash": rows[1]["hash"]}
    forged.update(pk=rows[1]["pk"] + 1, chain=0, hash=chain.event_hash(forged))
    for row in rows[2:]:
        row["pk"] += 1
    result = chain.verify_chain([*rows[:2], forged, *rows[2:]])
    assert not result.ok and result.broken_pk == forged["pk"] and result.count == 3
    assert result.message == (
        f"event #{forged['pk']}: inserted into the chain "
        f"(event #{rows[2]['pk']} follows the event before it)"
    )


def test_verify_names_a_forged_event_that_follows_nothing_as_inserted():
    rows = _rows(4)
    forged = {**KNOWN_FIELDS, "details": {"forged": True}, "prev_hash": "9" * 64}
    forged.update(pk=99, chain=0, hash=chain.event_hash(forged))
    result = chain.verify_chain([*rows[:2], forged, *rows[2:]])
    assert (result.ok, result.broken_pk, result.count) == (False, 99, 2)
    assert (
        result.message
        == f"event #99: inserted into the chain (it does not follow event #{rows[1]['pk']})"
    )


def test_verify_against_an_anchor_finds_a_chain_rewritten_and_hashed_again():
    rows = _rows(6)
    anchor = {0: (rows[4]["pk"], rows[4]["hash"])}
    assert chain.verify_chain(rows, anchor).ok
    rewritten, previous = [], chain.genesis(0)
    for row in rows:
        fields = {**row, "prev_hash": previous}
        if row["pk"] == rows[2]["pk"]:
            fields["details"] = {"rewritten": True}
        fields["hash"] = previous = chain.event_hash(fields)
        rewritten.append(fields)
    assert chain.verify_chain(rewritten).ok  # consistent on its own...
    result = chain.verify_chain(rewritten, anchor)  # ...but not the anchored chain
    assert (result.ok, result.broken_pk) == (False, rows[4]["pk"])
    assert "not the event the anchor holds" in result.message


def test_verify_against_an_anchor_finds_a_cut_off_chain():
    rows = _rows(6)
    anchor = {0: (rows[5]["pk"], rows[5]["hash"])}
    result = chain.verify_chain(rows[:4], anchor)
    assert (result.ok, result.broken_pk, result.count) == (False, rows[5]["pk"], 4)
    assert (
        result.message
        == f"event #{rows[5]['pk']}: in the anchor but no longer in chain 0 (cut off)"
    )


def test_the_rows_verification_reads_are_the_rows_the_orm_reads():
    # On PostgreSQL verification reads the log with a hand-written statement (the time
    # written by the database): it must give what the ORM gives, for awkward values too.
    import time_machine

    awkward = [
        ("2026-03-29T00:59:59.999999+00:00", "::1", {"é": ["Zoë", 1.5, None], "a": {"z": 1}}),
        ("2026-10-25T01:00:00+00:00", "192.0.2.10", {}),
        ("2027-01-01T00:00:00.000001+00:00", None, {"quote": '"\\\n\t'}),
    ]
    for at, ip, details in awkward:
        request = RequestFactory().get("/", REMOTE_ADDR=ip)
        request.user = AnonymousUser()
        with time_machine.travel(dt.datetime.fromisoformat(at), tick=False):
            record_event(action="view", object_type="x", details=details, request=request)
    from onthaal.audit import selectors

    orm = [
        {**row, "at": chain.canonical_time(row["at"])}
        for row in AuditEvent.objects.order_by("pk").values(*selectors.ROW_FIELDS)
    ]
    read = [
        {**row, "at": row["at"] if isinstance(row["at"], str) else chain.canonical_time(row["at"])}
        for row in selectors.event_rows()
    ]
    assert read == orm
    assert [r["at"] for r in read] == [
        "2026-03-29T00:59:59.999999Z",
        "2026-10-25T01:00:00.000000Z",
        "2027-01-01T00:00:00.000001Z",
    ]
    assert [r["ip"] for r in read] == ["::1", "192.0.2.10", None]
    assert chain.verify_chain(read).ok
