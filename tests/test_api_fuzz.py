"""Fuzz the whole API from its own OpenAPI schema (schemathesis, in-process through WSGI).

One test walks every operation of the schema itself — not one pytest item per operation, which
``pytest -n auto --dist loadgroup`` (how CI runs the suite) cut down to a single operation — and:

- fuzzes each with generated input, anonymously and with the token of a staff member whose role
  uses it (``FUZZ_EXAMPLES`` examples each, so the run stays short on a small machine);
- then walks the journeys that reach the handlers (book with a solved proof of work, look up,
  move and cancel; issue, call, recall, start, finish, no-show and hand over tickets; register,
  assign, answer and download mail; the reports), so every operation answers at least one 2xx;
- asserts: no operation of the schema left uncalled, none without a 2xx, no server error and no
  response that the schema does not describe.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from onthaal.queue.tests.conftest import at_tuesday_10, zonnedoorn  # noqa: F401
from onthaal.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
FUZZ_EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]


def _operations() -> dict[str, Any]:
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


# The demo role whose token fuzzes an operation (the path decides); anything else: a desk agent.
ROLE_BY_PATH = [
    ("/api/v1/mail", "post"),
    ("/api/v1/reports", "manager"),
    ("/api/v1/staffing", "teamlead"),
    ("/api/v1/tickets/ POST", "onthaal"),
]


def _role(label: str) -> str:
    method, path = label.split(" ", 1)
    for prefix, username in ROLE_BY_PATH:
        if f"{path} {method}".startswith(prefix):
            return username
    return "balie"


class Calls:
    """What the run called: per operation the statuses, and every check that failed."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: list[str] = []

    def call(self, case: Any, headers: dict[str, str] | None = None) -> Any:
        response = case.call(headers=headers or {})
        self.statuses[case.operation.label][response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers or {})
        except (AssertionError, BaseExceptionGroup) as failure:  # kept with its request
            self.failures.append(
                f"{case.operation.label} -> {response.status_code}: "
                f"{str(failure).strip()[:600]}\n  {case.as_curl_command()[:400]}"
            )
        return response

    def ok(self, label: str) -> bool:
        return any(200 <= status < 300 for status in self.statuses[label])


@pytest.fixture
def wsgi_demo(zonnedoorn: dict[str, Any]) -> Any:  # noqa: F811
    # Requests go straight to the WSGI handler; like Django's test client, keep the test's
    # database connection open across them (the handler would close it after each request).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield zonnedoorn
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _fuzz(calls: Calls, operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        calls.call(case, headers)

    run()


def _journeys(calls: Calls, ops: dict[str, Any], z: dict[str, Any], token: Callable) -> None:
    """The calls a client makes when things go right, one after the other."""
    from onthaal.appointments import proof
    from onthaal.catalogue.models import Product
    from onthaal.mail.models import DocumentType

    def call(label: str, auth: str | None = None, **parts: Any) -> Any:
        headers = {"Authorization": f"Token {token(auth)}"} if auth else {}
        response = calls.call(ops[label].Case(**parts), headers)
        assert 200 <= response.status_code < 300, (label, response.status_code, response.text)
        return response

    balie, desk = "balie", z["balie1"].pk
    call("GET /api/v1/locations/")
    call("GET /api/v1/departments/")
    call("GET /api/v1/products/")
    call("GET /api/v1/me/", balie)
    call(
        "GET /api/v1/locations/{location_id}/display/", path_parameters={"location_id": z["ac"].pk}
    )
    call("GET /api/v1/opening-hours/", query={"location": z["ac"].slug})

    # An appointment: availability, a solved proof of work, look up, move, cancel.
    product = (
        Product.objects.filter(slug="identiteitskaart").first()
        or Product.objects.filter(
            channels__channel="appointment", active=True, department=z["burgerzaken"].department
        ).first()
    )
    assert product is not None
    found = call(
        "GET /api/v1/availability/", query={"location": z["ac"].slug, "product": [product.slug]}
    ).json()
    starts = [slot["start"] for day in found.get("days", []) for slot in day.get("slots", [])]
    starts = starts or [slot["start"] for slot in found.get("slots", [])]
    assert len(starts) >= 2, found
    made = call("GET /api/v1/appointments/challenge/").json()
    booked = call(
        "POST /api/v1/appointments/",
        media_type="application/json",
        body={
            "product": [product.slug],
            "location": z["ac"].slug,
            "start": starts[0],
            "name": "An Peeters",
            "email": "an@example.org",
            "altcha": proof.solve(made),
        },
    ).json()
    reference = booked["appointment"]["reference"]
    secret = parse_qs(urlsplit(booked["manage_url"]).query)["token"][0]
    call(
        "GET /api/v1/appointments/{reference}/",
        path_parameters={"reference": reference},
        query={"token": secret},
    )
    moved = call(
        "POST /api/v1/appointments/{reference}/reschedule/",
        path_parameters={"reference": reference},
        media_type="application/json",
        body={"token": secret, "start": starts[-1]},
    ).json()
    call(
        "POST /api/v1/appointments/{reference}/cancel/",
        path_parameters={"reference": moved.get("reference", reference)},
        media_type="application/json",
        body={"token": secret},
    )
    # Reception books for a caller, moves and cancels it: staff, without the citizen's token.
    caller = call(
        "POST /api/v1/appointments/",
        "onthaal",
        media_type="application/json",
        body={
            "product": [product.slug],
            "location": z["ac"].slug,
            "start": starts[1],
            "name": "Jan Peeters",
            "phone": "0470123456",
        },
    ).json()["appointment"]["reference"]
    call(
        "POST /api/v1/appointments/{reference}/move/",
        "onthaal",
        path_parameters={"reference": caller},
        media_type="application/json",
        body={"start": starts[0]},
    )
    call(
        "POST /api/v1/appointments/{reference}/cancel/",
        "onthaal",
        path_parameters={"reference": caller},
        media_type="application/json",
        body={},
    )

    # Tickets: issue three, call, recall, start, finish; call, no-show; hand one over.
    def issue() -> int:
        return call(
            "POST /api/v1/tickets/",
            "onthaal",
            media_type="application/json",
            body={"location": z["ac"].pk, "queue": z["burgerzaken"].pk},
        ).json()["id"]

    first, second, third = issue(), issue(), issue()
    from onthaal.queue import services as queue_services

    queue_services.open_desk(desk=z["balie1"], actor=z["users"]["balie"])  # no API for that
    at_desk = {"media_type": "application/json", "body": {"desk": desk}}
    call("POST /api/v1/desks/{desk_id}/call-next/", balie, path_parameters={"desk_id": desk})
    for action in ("recall", "start", "finish"):
        call(
            f"POST /api/v1/tickets/{{ticket_id}}/{action}/",
            balie,
            path_parameters={"ticket_id": first},
            **at_desk,
        )
    call("POST /api/v1/desks/{desk_id}/call-next/", balie, path_parameters={"desk_id": desk})
    call(
        "POST /api/v1/tickets/{ticket_id}/no-show/",
        balie,
        path_parameters={"ticket_id": second},
        **at_desk,
    )
    call(
        "POST /api/v1/tickets/{ticket_id}/transfer/",
        "onthaal",
        path_parameters={"ticket_id": third},
        media_type="application/json",
        body={"queue": z["snel"].pk},
    )

    # Mail: register with a document, list, read, assign, answer, download the document.
    letter = DocumentType.objects.create(name="Brief", answer_days=30)
    registered = call(
        "POST /api/v1/mail/",
        "post",
        media_type="multipart/form-data",
        body={
            "direction": "in",
            "department": z["burgerzaken"].department_id,
            "informatieobjecttype": letter.pk,
            "subject": "Brief",
            "files": [("brief.txt", b"Geachte, graag een parkeerkaart.")],
        },
    ).json()
    item = {"public_id": registered["id"]}
    call("GET /api/v1/mail/", "post")
    call("GET /api/v1/mail/{public_id}/", "post", path_parameters=item)
    call(
        "GET /api/v1/mail/{public_id}/documents/{n}/",
        "post",
        path_parameters={**item, "n": 1},
    )
    call(
        "POST /api/v1/mail/{public_id}/assign/",
        "post",
        path_parameters=item,
        media_type="application/json",
        body={"handler": "balie"},
    )
    call(
        "POST /api/v1/mail/{public_id}/answer/",
        balie,
        path_parameters=item,
        media_type="application/json",
        body={"kind": "letter", "subject": "Antwoord", "body": "Hierbij."},
    )

    # The e-loket: the products, a form, file a request, read it by its token; staff list it
    # and move it on.
    offered = call("GET /api/v1/eloket/products/").json()
    attest = next(p for p in offered if p["slug"] == "attest-woonst")
    call("GET /api/v1/eloket/products/{id}/form/", path_parameters={"id": attest["id"]})
    filed = call(
        "POST /api/v1/eloket/requests/",
        media_type="application/json",
        body={
            "product": attest["slug"],
            "answers": {"naam": "An Peeters", "adres": "Dorpstraat 3", "soort": "woonst"},
            "email": "an@example.org",
            "altcha": proof.solve(call("GET /api/v1/appointments/challenge/").json()),
        },
    ).json()
    call(
        "GET /api/v1/eloket/requests/{reference}/",
        path_parameters={"reference": filed["reference"]},
        query={"token": parse_qs(urlsplit(filed["status_url"]).query)["token"][0]},
    )
    call("GET /api/v1/eloket/requests/", balie, query={"status": "received"})
    call(
        "POST /api/v1/eloket/requests/{reference}/transition/",
        balie,
        path_parameters={"reference": filed["reference"]},
        media_type="application/json",
        body={"to": "in_progress", "message": "We zijn gestart."},
    )

    # Reports.
    today = dt.date(2027, 3, 23)
    call(
        "GET /api/v1/reports/visits/",
        "manager",
        query={"from": (today - dt.timedelta(days=7)).isoformat(), "to": today.isoformat()},
    )
    call("GET /api/v1/reports/advice/", "manager")
    call(
        "GET /api/v1/reports/erlang-c/",
        "manager",
        query={"arrivals_per_hour": 20, "service_minutes": 6},
    )

    # Staff planning (a team lead): coverage, an absence, a proposed and published roster.
    week = dt.date(2027, 3, 29)
    call(
        "GET /api/v1/staffing/coverage/",
        "teamlead",
        query={"location": z["ac"].slug, "from": week.isoformat(), "to": week.isoformat()},
    )
    call(
        "POST /api/v1/staffing/absences/",
        "teamlead",
        media_type="application/json",
        body={
            "user": "sofie",
            "kind": "training",
            "start": "2027-03-30T09:00:00+02:00",
            "end": "2027-03-30T12:00:00+02:00",
        },
    )
    call(
        "POST /api/v1/staffing/rosters/propose/",
        "teamlead",
        media_type="application/json",
        body={"location": z["ac"].slug, "week": week.isoformat()},
    )
    call(
        "POST /api/v1/staffing/rosters/publish/",
        "teamlead",
        media_type="application/json",
        body={"location": z["ac"].slug, "week": week.isoformat(), "department": "burgerzaken"},
    )


@pytest.mark.django_db
@pytest.mark.xdist_group("api_fuzz")
def test_api_fuzz_calls_every_operation_without_server_errors_or_schema_mismatches(
    wsgi_demo: dict[str, Any],
) -> None:
    from onthaal.accounts.tests.factories import api_token

    z = wsgi_demo
    tokens: dict[str, str] = {}

    def token(username: str | None) -> str:
        assert username is not None
        if username not in tokens:
            tokens[username] = api_token(z["users"][username])
        return tokens[username]

    ops = _operations()
    calls = Calls()
    _journeys(calls, ops, z, token)
    for label, operation in ops.items():
        _fuzz(calls, operation, {})
        _fuzz(calls, operation, {"Authorization": f"Token {token(_role(label))}"})

    uncalled = sorted(set(ops) - set(calls.statuses))
    assert not uncalled, f"operations of the schema never called: {uncalled}"
    without_2xx = {label: dict(calls.statuses[label]) for label in ops if not calls.ok(label)}
    assert not without_2xx, f"operations that never answered 2xx: {without_2xx}"
    assert not calls.failures, f"{len(calls.failures)} failed checks:\n" + "\n".join(
        calls.failures[:15]
    )
    assert sum(sum(c.values()) for c in calls.statuses.values()) >= len(ops) * FUZZ_EXAMPLES
