"""Limits that could be sidestepped (issue #5, finding 9): a forged X-Forwarded-For, any staff
token, a time without its offset."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from onthaal.accounts.tests.factories import api_token
from onthaal.appointments import limits, proof
from onthaal.appointments.models import Appointment
from onthaal.appointments.tests.data import BODY
from onthaal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments/"


def _solved(client: Any) -> str:
    return proof.solve(client.get("/api/v1/appointments/challenge/").json())


def _start(n: int) -> str:
    """The n-th time on the 10-minute grid from Wednesday 09:00."""
    return f"2027-03-24T{9 + n // 6:02d}:{(n % 6) * 10:02d}:00+01:00"


def test_a_forged_forwarded_header_does_not_get_past_the_limit_per_address(zonnedoorn):
    """The review changed X-Forwarded-For on every request and booked without limit."""
    citizen = Client(REMOTE_ADDR="203.0.113.5")
    for n in range(limits.PER_IP[0]):
        body = {**BODY, "start": _start(n), "email": f"p{n}@x.org", "altcha": _solved(citizen)}
        answer = citizen.post(
            API, body, content_type="application/json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert answer.status_code == 201, answer.content
    refused = citizen.post(
        API,
        {**BODY, "email": "one-more@x.org", "altcha": _solved(citizen)},
        content_type="application/json",
        HTTP_X_FORWARDED_FOR="192.0.2.77",
    )
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    # The audit log has the connection's address, not the forged one.
    ips = set(AuditEvent.objects.exclude(ip=None).values_list("ip", flat=True))
    assert ips == {"203.0.113.5"}


def test_behind_the_configured_proxy_the_forwarded_client_counts(zonnedoorn, settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.5"]
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    for n in range(limits.PER_IP[0] + 1):  # each from another client behind the proxy
        body = {**BODY, "start": _start(n), "email": f"p{n}@x.org", "altcha": _solved(proxy)}
        answer = proxy.post(
            API, body, content_type="application/json", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        )
        assert answer.status_code == 201, answer.content
    event = AuditEvent.objects.filter(object_type="appointments.appointment").latest("pk")
    assert event.ip == f"198.51.100.{limits.PER_IP[0]}"


def _api(zonnedoorn: dict[str, Any], username: str) -> APIClient:
    api = APIClient()
    token = api_token(zonnedoorn["users"][username])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


@pytest.mark.parametrize("username", ["auditor", "manager", "post", "admin"])
def test_a_token_of_a_role_that_does_not_book_for_callers_is_a_citizen(zonnedoorn, username):
    api = _api(zonnedoorn, username)
    refused = api.post(API, BODY, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "proof_required"
    assert not Appointment.objects.exists()
    for n in range(limits.PER_IP[0]):
        body = {**BODY, "start": _start(n), "email": f"p{n}@x.org", "altcha": _solved(api)}
        assert api.post(API, body, format="json").status_code == 201
    over = {**BODY, "email": "more@x.org", "altcha": _solved(api)}
    assert api.post(API, over, format="json").status_code == 429
    assert set(Appointment.objects.values_list("created_by", flat=True)) == {None}


@pytest.mark.parametrize("username", ["onthaal", "balie", "mw", "teamlead"])
def test_staff_who_book_for_callers_need_no_proof_and_no_limit(zonnedoorn, username):
    api = _api(zonnedoorn, username)
    for n in range(limits.PER_IP[0] + 1):
        body = {**BODY, "start": _start(n), "email": f"p{n}@x.org"}
        assert api.post(API, body, format="json").status_code == 201
    assert Appointment.objects.count() == limits.PER_IP[0] + 1
    assert set(Appointment.objects.values_list("created_by__username", flat=True)) == {username}


@pytest.mark.parametrize(
    "start", ["2027-03-24T09:00:00", "2027-03-24 09:00", "2027-03-24T09:00:00.000"]
)
def test_a_time_without_its_offset_is_a_400_on_the_field(client, zonnedoorn, start):
    booked = client.post(
        API, {**BODY, "start": start, "altcha": _solved(client)}, content_type="application/json"
    )
    assert booked.status_code == 400, booked.content
    assert booked.json()["fields"]["start"][0]["code"] == "naive"
    assert not Appointment.objects.exists()


def test_moving_to_a_time_without_its_offset_is_a_400_and_moves_nothing(client, zonnedoorn):
    booked = client.post(
        API, {**BODY, "altcha": _solved(client)}, content_type="application/json"
    ).json()
    reference = booked["appointment"]["reference"]
    token = booked["manage_url"].split("token=")[1]
    moved = client.post(
        f"{API}{reference}/reschedule/",
        {"token": token, "start": "2027-03-24T10:00:00"},
        content_type="application/json",
    )
    assert moved.status_code == 400 and moved.json()["fields"]["start"][0]["code"] == "naive"
    assert list(Appointment.objects.values_list("reference", "status")) == [(reference, "booked")]
