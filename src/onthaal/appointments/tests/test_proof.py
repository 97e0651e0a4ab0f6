"""The proof of work (ALTCHA) on an anonymous booking: a solved challenge books once; a
missing, wrong, forged, expired or replayed one is a 400 on the ``altcha`` field and books
nothing; staff (a session or an API token) are not asked for one."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from altcha import v1 as altcha
from django.urls import reverse
from rest_framework.test import APIClient

from onthaal.accounts.tests.factories import api_token
from onthaal.appointments import proof
from onthaal.appointments.models import Appointment
from onthaal.appointments.tests.data import BODY
from onthaal.core.clock import BRUSSELS

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments/"
FORM = {
    "product": "eid-aanvragen",
    "persons": "1",
    "location": "administratief-centrum",
    "start": dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS).isoformat(),
    "name": "Jan Peeters",
    "email": "jan@example.org",
}


def post(client: Any, body: dict[str, Any], **headers: str) -> Any:
    return client.post(API, body, content_type="application/json", headers=headers)


def encode(data: Any) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def tampered(payload: str, **change: Any) -> str:
    return encode({**json.loads(base64.b64decode(payload)), **change})


def never_expiring() -> str:
    """Signed with this server's key, but without the expiry every challenge made here has."""
    made = altcha.create_challenge(
        altcha.ChallengeOptions(max_number=100, hmac_key=proof._hmac_key())
    )
    return proof.solve(made.to_dict())


def test_the_challenge_is_public_fresh_and_uncached(client, settings):
    settings.ONTHAAL_ALTCHA_MAX_NUMBER = 1234
    first = client.get("/api/v1/appointments/challenge/")
    second = client.get("/api/v1/appointments/challenge/")
    assert first.status_code == 200 and first["Cache-Control"] == "no-store"
    body = first.json()
    assert set(body) == {"algorithm", "challenge", "maxNumber", "salt", "signature"}
    assert (body["algorithm"], body["maxNumber"]) == ("SHA-256", 1234)
    assert "expires=" in body["salt"]
    assert body["salt"] != second.json()["salt"]


def test_a_solved_challenge_books_once(client, zonnedoorn, solved):
    payload = solved()
    booked = post(client, {**BODY, "altcha": payload})
    again = post(client, {**BODY, "start": "2027-03-24T10:00:00+01:00", "altcha": payload})
    assert booked.status_code == 201, booked.content
    assert again.status_code == 400
    assert again.json()["code"] == "proof_invalid"
    assert list(again.json()["fields"]) == ["altcha"]
    assert Appointment.objects.count() == 1


def test_a_retry_with_the_same_idempotency_key_may_show_the_same_proof(client, zonnedoorn, solved):
    body = {**BODY, "altcha": solved()}
    first = post(client, body, **{"Idempotency-Key": "k-1"})
    retry = post(client, body, **{"Idempotency-Key": "k-1"})
    other = post(
        client,
        {**body, "start": "2027-03-24T10:00:00+01:00"},
        **{"Idempotency-Key": "k-2"},
    )
    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 400)
    assert other.json()["fields"]["altcha"][0]["code"] == "proof_invalid"
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda good: None, "proof_required"),
        (lambda good: "", "proof_required"),
        (lambda good: "not base64 !", "proof_invalid"),
        (
            lambda good: encode(["algorithm", "challenge", "number", "salt", "signature"]),
            "proof_invalid",
        ),
        (lambda good: encode("algorithm challenge number salt signature"), "proof_invalid"),
        (
            lambda good: tampered(good, number=json.loads(base64.b64decode(good))["number"] + 1),
            "proof_invalid",
        ),
        (lambda good: tampered(good, number="7"), "proof_invalid"),
        (lambda good: tampered(good, signature="0" * 64), "proof_invalid"),
        (lambda good: tampered(good, algorithm="SHA-1"), "proof_invalid"),
        (lambda good: tampered(good, salt="0" * 24 + "&"), "proof_invalid"),
        (lambda good: never_expiring(), "proof_invalid"),
    ],
    ids=[
        "missing",
        "empty",
        "not-base64",
        "json-list",
        "json-string",
        "wrong-number",
        "number-as-text",
        "forged-signature",
        "other-algorithm",
        "other-salt",
        "signed-without-expiry",
    ],
)
def test_a_missing_or_wrong_proof_is_a_400_on_the_field_and_books_nothing(
    client, zonnedoorn, solved, make, code
):
    altcha = make(solved())
    body = dict(BODY) if altcha is None else {**BODY, "altcha": altcha}
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["fields"] == {
        "altcha": [{"code": code, "message": response.json()["message"]}]
    }
    assert not Appointment.objects.exists()


def test_a_proof_signed_with_another_key_is_refused(client, zonnedoorn, settings):
    ours = settings.SECRET_KEY
    settings.SECRET_KEY = "another-server-" + "x" * 40
    foreign = proof.solve(proof.challenge())
    settings.SECRET_KEY = ours
    response = post(client, {**BODY, "altcha": foreign})
    assert response.status_code == 400 and response.json()["code"] == "proof_invalid"
    assert not Appointment.objects.exists()


def test_an_expired_proof_is_refused(client, zonnedoorn, solved):
    payload = solved()
    zonnedoorn["traveller"].shift(proof.LIFETIME + dt.timedelta(seconds=1))
    response = post(client, {**BODY, "altcha": payload})
    assert response.status_code == 400 and response.json()["code"] == "proof_invalid"
    assert not Appointment.objects.exists()


def test_staff_with_an_api_token_are_not_asked_for_a_proof(zonnedoorn):
    api = APIClient()
    token = api_token(zonnedoorn["users"]["onthaal"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.post(API, BODY, format="json")
    assert response.status_code == 201, response.content
    assert Appointment.objects.get().created_by == zonnedoorn["users"]["onthaal"]


def test_the_page_without_a_proof_keeps_the_values_and_books_nothing(client, zonnedoorn, solved):
    details = reverse("appointments:details")
    page = client.get(details, {k: v for k, v in FORM.items() if k not in ("name", "email")})
    html = page.content.decode()
    assert 'name="altcha"' in html and 'id="altcha-challenge"' in html and "proof.js" in html
    assert 'aria-live="polite"' in html and "<noscript>" in html
    refused = client.post(details, {**FORM, "idempotency_key": "page-1"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'id="altcha-error"' in html and 'aria-describedby="altcha-error"' in html
    assert 'value="Jan Peeters"' in html and 'value="jan@example.org"' in html
    assert 'id="altcha-challenge"' in html  # a fresh challenge to solve
    assert not Appointment.objects.exists()  # reading the form held nothing either
    replayed = solved()
    booked = client.post(details, {**FORM, "idempotency_key": "page-1", "altcha": replayed})
    assert booked.status_code == 302
    assert list(Appointment.objects.values_list("status", flat=True)) == ["booked"]
    again = client.post(
        details,
        {**FORM, "start": FORM["start"].replace("09:00", "10:00"), "altcha": replayed},
    )
    assert again.status_code == 400 and 'id="altcha-error"' in again.content.decode()
    assert list(Appointment.objects.values_list("status", flat=True)) == ["booked"]


def test_staff_pages_ask_no_proof(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["onthaal"])
    details = reverse("appointments:details")
    page = client.get(details, {k: v for k, v in FORM.items() if k not in ("name", "email")})
    assert 'name="altcha"' not in page.content.decode()
    assert "proof.js" not in page.content.decode()
    booked = client.post(details, {**FORM, "channel": "phone"})
    assert booked.status_code == 302
    assert Appointment.objects.get().created_by == zonnedoorn["users"]["onthaal"]
