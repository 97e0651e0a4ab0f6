"""JSON logs: one line per request and per task, each with the request id that the audit events
of that request or task carry; nothing personal in any line, however far a visit goes.

The journey is the one of tests/test_visit_journey.py (book through the API with a name, an
e-mail address and a phone number → check in at the kiosk → "warn me" → call, start and
finish at the desk → the worker's jobs), logged as a server install logs it: the JSON
formatter on the root logger at INFO."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from onthaal.appointments import notify, proof
from onthaal.appointments.models import Appointment
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.core import context
from onthaal.core.logfilters import ClientErrorsWithoutTraceback
from onthaal.devices.tests.factories import enrolled
from onthaal.operations.logs import JsonFormatter, RequestIdFilter
from onthaal.organisation.models import Desk, Location
from onthaal.queue import alerts
from onthaal.queue.models import Ticket
from tests.test_visit_journey import (  # the same visit, the same worker's jobs
    EMAIL,
    NAME,
    PHONE,
    WEDNESDAY_9,
    logged_in,
    traveller,  # noqa: F401  # a fixture
    worker_jobs,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger as settings.LOGGING makes it with LOG_FORMAT=json, into a buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ClientErrorsWithoutTraceback())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    request_logger = logging.getLogger("onthaal.request")
    levels = (root.level, request_logger.level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    request_logger.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        request_logger.setLevel(levels[1])


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_a_whole_visit_logs_a_line_per_request_with_its_audit_request_id_and_nothing_personal(
    traveller,  # noqa: F811
    json_log,
) -> None:
    citizen = Client()
    challenge = citizen.get("/api/v1/appointments/challenge/").json()
    booked = citizen.post(
        "/api/v1/appointments/",
        {
            "product": ["eid-aanvragen"],
            "location": "administratief-centrum",
            "start": WEDNESDAY_9.isoformat(),
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "altcha": proof.solve(challenge),
        },
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.content
    reference = booked.json()["appointment"]["reference"]
    appointment = Appointment.objects.get(reference=reference)
    notify.confirmation(appointment, "https://example.org/afspraak/beheer/")
    assert notify.send_due() == 2

    traveller.move_to(WEDNESDAY_9 - dt.timedelta(minutes=10))
    kiosk = Client()
    enrolled(kiosk, Location.objects.get(slug="administratief-centrum"), name="kiosk-ac-1")
    checked = kiosk.post(
        reverse("queue:kiosk", args=["administratief-centrum"]),
        {"action": "checkin", "reference": reference},
    )
    assert checked.status_code == 302
    ticket = Ticket.objects.get(appointment__reference=reference)
    assert (
        citizen.post(reverse("queue:ticket", args=[ticket.public_id]), {"email": EMAIL}).status_code
        == 302
    )
    assert citizen.get(reverse("queue:ticket", args=["no-such-ticket"])).status_code == 404
    alerts.enqueue_turn_alerts()
    assert notify.send_due() == 1

    desk = Desk.objects.get(location__slug="administratief-centrum", name="Balie 1")
    eid = Product.objects.get(slug="eid-aanvragen")
    agent = logged_in("balie")
    for url, data in [
        (reverse("queue:desk-choose"), {"desk": desk.pk}),
        (reverse("queue:desk-action", args=[desk.pk, "call"]), {}),
        (reverse("queue:desk-action", args=[desk.pk, "start"]), {"ticket": ticket.pk}),
        (
            reverse("queue:desk-action", args=[desk.pk, "finish"]),
            {"ticket": ticket.pk, f"qty-{eid.pk}": 1},
        ),
    ]:
        traveller.shift(dt.timedelta(minutes=3))
        assert agent.post(url, data).status_code == 302
    worker_jobs()
    traveller.move_to(WEDNESDAY_9 + dt.timedelta(days=31))
    worker_jobs()

    text = json_log.getvalue()
    lines = _lines(json_log)

    # Nothing personal: not the name, the e-mail address or the phone number, nor the
    # appointment's reference or the ticket's private status id (each opens the visit).
    for secret in (NAME, *NAME.split(), EMAIL, EMAIL.split("@")[0], PHONE, PHONE.replace(" ", "")):
        assert secret not in text, secret
    assert reference not in text and ticket.public_id not in text
    assert "no-such-ticket" not in text  # Django's "Not Found: <path>" without the path
    (not_found,) = [line for line in lines if line["logger"] == "django.request"]
    assert (not_found["message"], not_found["view"], not_found["status"]) == (
        "Not Found",
        "queue:ticket",
        404,
    )

    # One line per request, with its route's name, status and request id.
    requests = [line for line in lines if line["logger"] == "onthaal.request"]
    views = [(line["method"], line["view"], line["status"]) for line in requests]
    assert views == [
        ("GET", "api-appointment-challenge", 200),
        ("POST", "api-appointments", 201),
        ("POST", "queue:kiosk", 302),
        ("POST", "queue:ticket", 302),
        ("GET", "queue:ticket", 404),
        ("POST", "queue:desk-choose", 302),
        ("POST", "queue:desk-action", 302),
        ("POST", "queue:desk-action", 302),
        ("POST", "queue:desk-action", 302),
    ]
    assert all(isinstance(line["duration_ms"], float) for line in requests)
    assert all(len(line["request_id"]) >= 8 for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)
    assert not_found["request_id"] == requests[4]["request_id"]

    # The audit events of a request carry the request id of its line.
    logged_ids = {line["request_id"] for line in requests}
    audited = set(AuditEvent.objects.exclude(request_id="").values_list("request_id", flat=True))
    call_event = AuditEvent.objects.get(
        object_type="queue.ticket", object_id=str(ticket.pk), details__transition="call"
    )
    assert call_event.request_id in logged_ids
    assert len(audited & logged_ids) >= 5


def test_a_task_logs_one_line_with_its_id_which_its_enqueuing_request_line_names(
    settings, json_log
) -> None:
    from onthaal.mail.tasks import process_document

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    token = context.current_request_id.set("request-0123456789")
    try:
        result = process_document.enqueue(999_999)  # no such document: "gone"
    finally:
        context.current_request_id.reset(token)

    lines = _lines(json_log)
    enqueued = [line for line in lines if line["message"] == "task enqueued"]
    finished = [line for line in lines if line["message"] == "task finished"]
    assert len(enqueued) == 1 and len(finished) == 1, lines
    assert enqueued[0]["request_id"] == "request-0123456789"
    assert enqueued[0]["task_id"] == str(result.id) == finished[0]["task_id"]
    assert finished[0]["request_id"] == str(result.id)  # what its audit events would carry
    assert finished[0]["task"] == "onthaal.mail.tasks.process_document"
    assert finished[0]["status"] == "successful"
    assert isinstance(finished[0]["duration_ms"], float)
    assert not [line for line in lines if line["logger"] == "django_tasks"]


def test_the_server_default_is_json_and_development_keeps_text() -> None:
    assert settings.LOG_FORMAT in ("json", "text")
    formatter = settings.LOGGING["handlers"]["console"].get("formatter")
    assert (formatter == "json") == (settings.LOG_FORMAT == "json")
