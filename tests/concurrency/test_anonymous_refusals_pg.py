"""Refusals of anonymous requests under real concurrent connections on PostgreSQL: 40 at
once from one client are one tally of 40 and, once the minute has ended, one event with that
count, however many writers write the ended minutes at once (issue 10, item 10)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from rest_framework.test import APIClient

from onthaal.audit import refusals
from onthaal.audit.models import Action, ActorType, AuditEvent, RefusalTally
from onthaal.audit.selectors import verify
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

# Early in a minute: 40 requests on a shared machine finish well within it.
START = dt.datetime(2027, 3, 23, 9, 0, 1, tzinfo=dt.UTC)
NEXT_MINUTE = dt.datetime(2027, 3, 23, 9, 1, 0, tzinfo=dt.UTC)


def test_40_concurrent_anonymous_refusals_are_one_event_with_the_count_40():
    codes: list[int] = []
    lock = threading.Lock()

    def refuse(n: int) -> None:
        code = APIClient(REMOTE_ADDR="192.0.2.7").get("/api/v1/me/").status_code
        with lock:
            codes.append(code)

    with time_machine.travel(START, tick=False):
        assert run_at_once(40, refuse) == []
        assert codes == [401] * 40
        assert AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).count() == 0
        assert list(RefusalTally.objects.values_list("client", "count")) == [("192.0.2.7", 40)]

    written: list[int] = []

    def write(n: int) -> None:
        count = refusals.write_ended()
        with lock:
            written.append(count)

    with time_machine.travel(NEXT_MINUTE, tick=False):
        assert run_at_once(4, write) == []  # the worker and three refusals of a new minute
    assert sorted(written) == [0, 0, 0, 1]
    [event] = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert (event.actor_type, event.ip, event.details["count"]) == (
        ActorType.ANONYMOUS,
        "192.0.2.7",
        40,
    )
    assert RefusalTally.objects.count() == 0
    assert verify().ok


def test_concurrent_refusals_of_many_clients_are_one_event_per_client():
    addresses = [f"198.51.100.{n % 8}" for n in range(40)]

    def refuse(n: int) -> None:
        assert APIClient(REMOTE_ADDR=addresses[n]).get("/api/v1/me/").status_code == 401

    with time_machine.travel(START, tick=False):
        assert run_at_once(40, refuse) == []
    with time_machine.travel(NEXT_MINUTE, tick=False):
        assert refusals.write_ended() == 8
    events = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert sorted((e.ip, e.details["count"]) for e in events) == [
        (f"198.51.100.{n}", 5) for n in range(8)
    ]
