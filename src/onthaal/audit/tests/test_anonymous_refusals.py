"""Refusals of anonymous requests are counted and written once per client and minute, with
the count; refusals of authenticated users stay one event each (issue 10, item 10)."""

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import staff
from onthaal.audit import refusals
from onthaal.audit.models import Action, ActorType, AuditEvent, RefusalTally
from onthaal.audit.selectors import verify

pytestmark = pytest.mark.django_db

AT_10_00_05 = dt.datetime(2027, 3, 23, 9, 0, 5, tzinfo=dt.UTC)
AT_10_00_59 = AT_10_00_05.replace(second=59)
AT_10_01_00 = AT_10_00_05.replace(minute=1, second=0)


def _refused(address: str, times: int, path: str = "/api/v1/me/", **headers: str) -> None:
    client = APIClient(REMOTE_ADDR=address, **headers)
    for _ in range(times):
        assert client.get(path).status_code == 401


def _denied() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).order_by("pk"))


def test_thirty_anonymous_refusals_in_a_minute_are_one_event_with_the_count():
    with time_machine.travel(AT_10_00_05, tick=False):
        _refused("192.0.2.7", 20)
    with time_machine.travel(AT_10_00_59, tick=False):
        _refused("192.0.2.7", 10)
        assert _denied() == []  # counted, not yet written: the minute has not ended
        assert RefusalTally.objects.get().count == 30
    with time_machine.travel(AT_10_01_00, tick=False):
        # The first refusal of the next minute (another client's) writes the ended minute.
        _refused("198.51.100.9", 1)
    [event] = _denied()
    assert event.actor_type == ActorType.ANONYMOUS
    assert event.ip == "192.0.2.7"
    assert (event.object_type, event.object_id) == ("api", "/api/v1/me/")
    assert event.details == {
        "count": 30,
        "minute": "2027-03-23T09:00:00+00:00",
        "reason": "not_authenticated",
    }
    # The new minute's refusal waits for its minute to end.
    tally = RefusalTally.objects.get()
    assert (tally.client, tally.count, tally.minute) == ("198.51.100.9", 1, AT_10_01_00)
    assert verify().ok


def test_each_client_gets_its_own_event_per_minute_and_bad_tokens_count_too():
    with time_machine.travel(AT_10_00_05, tick=False):
        _refused("192.0.2.7", 3)
        _refused("192.0.2.8", 2, HTTP_AUTHORIZATION="Token not-a-real-token")
        _refused("192.0.2.7", 1, path="/api/v1/tickets/1/start/")
    with time_machine.travel(AT_10_01_00, tick=False):
        assert refusals.write_ended() == 2  # as the worker does once a minute
        assert refusals.write_ended() == 0
    counts = {(e.ip, e.details["count"], e.details["reason"]) for e in _denied()}
    assert counts == {
        ("192.0.2.7", 4, "not_authenticated"),
        ("192.0.2.8", 2, "authentication_failed"),
    }
    assert len(_denied()) == 2
    assert RefusalTally.objects.count() == 0


def test_the_tally_counts_the_client_behind_a_trusted_proxy(settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.1"]
    with time_machine.travel(AT_10_00_05, tick=False):
        _refused("10.0.0.1", 2, HTTP_X_FORWARDED_FOR="203.0.113.5")
        _refused("10.0.0.1", 1, HTTP_X_FORWARDED_FOR="203.0.113.6")
        # A client that is no proxy cannot pass itself off as another.
        _refused("192.0.2.66", 1, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert sorted(RefusalTally.objects.values_list("client", "count")) == [
        ("192.0.2.66", 1),
        ("203.0.113.5", 2),
        ("203.0.113.6", 1),
    ]


def test_refusals_of_staff_stay_one_event_each_and_at_once():
    user = staff(Role.AUDITOR, username="anna")
    client = APIClient(REMOTE_ADDR="192.0.2.7")
    with time_machine.travel(AT_10_00_05, tick=False):
        client.force_login(user)
        for _ in range(3):
            answer = client.get("/api/v1/reports/erlang-c/?arrivals_per_hour=10&service_minutes=5")
            assert answer.status_code == 403
    events = _denied()
    assert [(e.actor_type, e.actor_label) for e in events] == [(ActorType.STAFF, "anna")] * 3
    assert RefusalTally.objects.count() == 0
