"""Many writers at once on PostgreSQL leave unbroken audit chains: no fork, no gap; and they
do not wait for each other (ADR 0010)."""

from __future__ import annotations

import itertools
import threading

import psycopg
import pytest
from django.db import transaction

from onthaal.audit import chain, selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import (
    CHAIN_LOCK_KEY,
    CHAINS,
    SERIAL_CHAIN,
    lock_chain,
    record_event,
)
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


def _assert_unbroken_chains(expected: int) -> None:
    rows = list(AuditEvent.objects.order_by("pk").values_list("chain", "prev_hash", "hash"))
    assert len(rows) == expected
    assert len({prev for _, prev, _ in rows}) == expected  # nobody follows the same event twice
    by_chain: dict[int, list[tuple[str, str]]] = {}
    for number, prev, hash_ in rows:
        by_chain.setdefault(number, []).append((prev, hash_))
    assert len(by_chain) > 1  # the writers did not all queue for one chain
    for number, links in by_chain.items():
        assert links[0][0] == chain.genesis(number)
        for (_, earlier), (later_prev, _) in itertools.pairwise(links):
            assert later_prev == earlier
    result = selectors.verify()
    assert (result.ok, result.count, result.message) == (True, expected, "")
    assert set(result.heads) == set(by_chain)


def test_eight_connections_writing_250_events_each_leave_unbroken_chains_of_2000():
    def work(n: int) -> None:
        for i in range(EVENTS_EACH):
            with transaction.atomic():
                record_event(action="create", object_type="load", object_id=f"{n}-{i}")

    errors = _run_writers(work)
    assert errors == []
    _assert_unbroken_chains(WRITERS * EVENTS_EACH)


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
    _assert_unbroken_chains(WRITERS * 40)


def _hold_a_chain(events: int, held: threading.Event, release: threading.Event) -> None:
    """Append ``events`` in one transaction and keep it open until ``release``."""
    with transaction.atomic():
        for i in range(events):
            record_event(action="view", object_type="long", object_id=i)
        held.set()
        release.wait(30)


def test_a_writer_does_not_wait_for_a_transaction_that_holds_a_chain():
    held, release, written = threading.Event(), threading.Event(), threading.Event()

    def work(n: int) -> None:
        if n == 0:
            _hold_a_chain(3, held, release)
        else:
            held.wait(30)
            with transaction.atomic():
                record_event(action="view", object_type="quick", object_id=n)
            written.set()

    runner = threading.Thread(target=lambda: errors.extend(run_at_once(2, work)))
    errors: list[BaseException] = []
    runner.start()
    try:
        assert written.wait(10), "the second writer waited for the first one's commit"
    finally:
        release.set()
        runner.join(30)
    assert errors == []
    long = list(AuditEvent.objects.filter(object_type="long").values_list("chain", flat=True))
    quick = AuditEvent.objects.get(object_type="quick")
    assert len(long) == 3 and len(set(long)) == 1  # one transaction keeps its chain
    assert quick.chain != long[0] and SERIAL_CHAIN not in {quick.chain, long[0]}
    _assert_unbroken_chains(4)


def test_when_every_chain_is_held_a_writer_waits_and_then_appends():
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("pool", None)
    params.pop("context", None)
    written = threading.Event()
    with psycopg.connect(**params, autocommit=True) as holder:
        for number in range(CHAINS):
            holder.execute("SELECT pg_advisory_lock(%s, %s)", [CHAIN_LOCK_KEY, number])

        def work(n: int) -> None:
            with transaction.atomic():
                record_event(action="view", object_type="waited")
            written.set()

        errors: list[BaseException] = []
        runner = threading.Thread(target=lambda: errors.extend(run_at_once(1, work)))
        runner.start()
        try:
            assert not written.wait(1.5), "a writer appended to a chain that another holds"
        finally:
            holder.execute("SELECT pg_advisory_unlock_all()")
        runner.join(30)
    assert written.is_set() and errors == []
    assert AuditEvent.objects.get(object_type="waited").chain != SERIAL_CHAIN
    assert selectors.verify().ok


def test_the_serial_lock_takes_chain_0_and_a_transaction_keeps_it():
    with transaction.atomic():
        lock_chain()
        first = record_event(action="view", object_type="serial")
        second = record_event(action="view", object_type="serial")
    with transaction.atomic():
        other = record_event(action="view", object_type="spread")
        lock_chain()  # holds a chain already: keeps it, waits for no other
        after = record_event(action="view", object_type="spread")
    assert (first.chain, second.chain) == (SERIAL_CHAIN, SERIAL_CHAIN)
    assert other.chain == after.chain != SERIAL_CHAIN
    assert selectors.verify().ok
