"""The e-loket's API: the products, a form as JSON schema, filing (JSON and multipart), the
status by token, and for staff the list and a transition."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onthaal.accounts.tests.factories import api_token
from onthaal.appointments import proof
from onthaal.eloket.models import Request, Status
from onthaal.mail.models import MailItem
from onthaal.mail.samples import text_pdf

pytestmark = pytest.mark.django_db


def test_products_and_their_form_as_json_schema(client, world) -> None:
    listed = client.get("/api/v1/eloket/products/").json()
    assert {p["slug"] for p in listed} == {
        "attest-woonst",
        "bewonerskaart",
        "strafregister",
        "leefloon",
    }
    schema = client.get(f"/api/v1/eloket/products/{world.attest.pk}/form/").json()
    assert schema["required"] == ["name", "reason"]
    assert schema["properties"]["school"]["x-show-when"] == {"field": "reason", "equals": "school"}
    assert client.get("/api/v1/eloket/products/99999/form/").status_code == 404


def test_filing_by_json_answers_201_with_reference_and_status_url(client, world) -> None:
    response = client.post(
        "/api/v1/eloket/requests/",
        {
            "product": world.attest.slug,
            "answers": {"name": "An", "reason": "werk"},
            "email": "an@example.org",
            "altcha": proof.solve(proof.challenge()),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    token = parse_qs(urlsplit(body["status_url"]).query)["token"][0]
    status = client.get(f"/api/v1/eloket/requests/{body['reference']}/", {"token": token}).json()
    assert status["status"] == "received"
    assert status["structured_communication"] == body["structured_communication"]
    assert client.get(f"/api/v1/eloket/requests/{body['reference']}/").status_code == 404


def test_filing_by_multipart_keeps_the_file(client, world) -> None:
    response = client.post(
        "/api/v1/eloket/requests/",
        {
            "product": world.parking.pk,
            "answers": json.dumps({"plate": "1-ABC-123"}),
            "email": "an@example.org",
            "altcha": proof.solve(proof.challenge()),
            "registration": SimpleUploadedFile("r.pdf", text_pdf("r"), "application/pdf"),
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "25.00"
    assert Request.objects.get().files.count() == 1


def test_bad_input_is_400_per_field_in_the_api_error_shape(client, world) -> None:
    response = client.post(
        "/api/v1/eloket/requests/",
        {
            "product": world.strafregister.slug,
            "answers": {"nn": "00000000000", "national": "x"},
            "email": "an@example.org",
            "altcha": proof.solve(proof.challenge()),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["fields"]) == {"nn", "national"}
    no_proof = client.post(
        "/api/v1/eloket/requests/",
        {
            "product": world.attest.slug,
            "answers": {"name": "a", "reason": "werk"},
            "email": "a@b.be",
        },
        content_type="application/json",
    )
    assert no_proof.status_code == 400 and "altcha" in no_proof.json()["fields"]
    assert Request.objects.count() == 0 and MailItem.objects.count() == 0


def test_staff_list_their_departments_requests_and_move_one_on(client, world) -> None:
    from onthaal.eloket import services

    mine, _t = services.submit_request(
        product=world.attest, answers={"name": "A", "reason": "werk"}, email="a@example.org"
    )
    ocmw, _t = services.submit_request(
        product=world.ocmw, answers={"question": "q"}, email="a@example.org"
    )
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token(world.agent)}"}
    listed = client.get("/api/v1/eloket/requests/", {"status": "received"}, **headers).json()
    assert [r["reference"] for r in listed] == [mine.reference]
    moved = client.post(
        f"/api/v1/eloket/requests/{mine.reference}/transition/",
        {"to": "waiting_for_citizen", "message": "Foto aub"},
        content_type="application/json",
        **headers,
    )
    assert moved.status_code == 200 and moved.json()["status"] == Status.WAITING
    hidden = client.post(
        f"/api/v1/eloket/requests/{ocmw.reference}/transition/",
        {"to": "in_progress"},
        content_type="application/json",
        **headers,
    )
    assert hidden.status_code == 404
    assert client.get("/api/v1/eloket/requests/").status_code in (401, 403)


def test_the_api_refuses_an_unpaid_request_to_ready_without_a_reason(client, world) -> None:
    from onthaal.eloket import services

    filed, _t = services.submit_request(
        product=world.parking,
        answers={"plate": "1-ABC-123"},
        email="a@example.org",
        uploads=[services.Upload("registration", "i.pdf", text_pdf("Inschrijving"))],
    )
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token(world.agent)}"}
    url = f"/api/v1/eloket/requests/{filed.reference}/transition/"
    refused = client.post(url, {"to": "ready"}, content_type="application/json", **headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "unpaid"
    assert "override_reason" in refused.json()["fields"]
    moved = client.post(
        url,
        {"to": "ready", "override_reason": "betaald aan de balie"},
        content_type="application/json",
        **headers,
    )
    assert moved.status_code == 200 and moved.json()["status"] == Status.READY
