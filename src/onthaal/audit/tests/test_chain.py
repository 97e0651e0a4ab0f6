"""The audit chain: verification finds a changed, deleted or inserted row, naming it."""

import io
import itertools
import json
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

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
    assert events[0].prev_hash == chain.GENESIS
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
            pk=events[1].pk + 50, hash=chain.event_hash(fields), **fields
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


def test_head_prints_count_and_hash():
    events = _events(2)
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    assert out.getvalue().split() == ["2", events[-1].hash]


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
