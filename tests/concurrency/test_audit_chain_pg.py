"""Many writers at once on PostgreSQL leave one unbroken audit chain: no fork, no gap."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from onthaal.audit import selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import record_event
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

WRITERS = 8
EVENTS_EACH = 250


def _run_writers(work) -> list[BaseException]:
    return run_at_once(WRITERS, work)


def _assert_one_chain(expected: int) -> None:
    rows = list(AuditEvent.objects.order_by("pk").values_list("prev_hash", "hash"))
    assert len(rows) == expected
    assert len({prev for prev, _ in rows}) == expected  # nobody follows the same event twice
    for (_, earlier), (later_prev, _) in itertools.pairwise(rows):
        assert later_prev == earlier
    result = selectors.verify()
    assert (result.ok, result.count, result.message) == (True, expected, "")


def test_eight_connections_writing_250_events_each_leave_one_chain_of_2000():
    def work(n: int) -> None:
        for i in range(EVENTS_EACH):
            with transaction.atomic():
                record_event(action="create", object_type="load", object_id=f"{n}-{i}")

    errors = _run_writers(work)
    assert errors == []
    _assert_one_chain(WRITERS * EVENTS_EACH)


def test_rolled_back_writes_leave_no_gap():
    class Rollback(Exception):
        pass

    def work(n: int) -> None:
        for i in range(60):
            try:
                with transaction.atomic():
                    record_event(action="create", object_type="load", object_id=f"{n}-{i}")
                    if i % 3 == 0:
                        raise Rollback
            except Rollback:
                pass

    errors = _run_writers(work)
    assert errors == []
    _assert_one_chain(WRITERS * 40)
