"""The citizen's strong login for products that need it, against a real OpenID Connect provider
on 127.0.0.1 (tests/oidc_provider): the form sends the citizen to the provider, the callback
keeps the verified identity in the session, the form is prefilled, and filing uses the login's
national register number — never a posted one."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.urls import reverse
from tests.oidc_provider import Provider

from onthaal.appointments import proof
from onthaal.audit.models import Action, AuditEvent
from onthaal.eloket.models import ProductSettings, Request
from onthaal.eloket.tests.conftest import make_product
from onthaal.mail.models import MailItem

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/e-loket/login/callback/"
NRN = "85073003328"


def _valid_nrn(first_nine: str) -> str:
    return first_nine + f"{97 - int(first_nine) % 97:02d}"


OTHER_NRN = _valid_nrn("900101001")


@pytest.fixture
def provider(oidc_provider: Provider, settings: Any) -> Provider:
    oidc_provider.add_client("eloket", "eloket-secret", redirect_uris=[CALLBACK])
    settings.ELOKET_OIDC_DISCOVERY_URL = oidc_provider.discovery_url
    settings.ELOKET_OIDC_CLIENT_ID = "eloket"
    settings.ELOKET_OIDC_CLIENT_SECRET = "eloket-secret"
    oidc_provider.add_user(
        "jan", password="secret", given_name="Jan", family_name="Peeters", nrn=NRN
    )
    return oidc_provider


def _strong(product: Any) -> Any:
    ProductSettings.objects.filter(product=product).update(strong_login=True)
    return product


@pytest.fixture
def uittreksel(world: Any) -> Any:
    """Needs a strong login and the national register number."""
    return _strong(
        make_product(
            world.burgerzaken,
            "uittreksel",
            [
                {"key": "name", "kind": "text", "required": True},
                {"key": "nn", "kind": "national_number", "required": True},
                {"key": "purpose", "kind": "long_text"},
            ],
            needs_nn=True,
        )
    )


@pytest.fixture
def premie(world: Any) -> Any:
    """Needs a strong login but no national register number."""
    return _strong(
        make_product(
            world.burgerzaken,
            "premie",
            [
                {"key": "name", "kind": "text", "required": True},
                {"key": "question", "kind": "long_text", "required": True},
            ],
        )
    )


def sign_in(client: Any, product: Any, username: str = "jan") -> Any:
    """The full redirect flow from the product's login button; Onthaal's callback answer."""
    start = client.get(reverse("eloket:login", args=[product.slug]))
    assert start.status_code == 302, start.content
    browser = requests.Session()
    authorize = start["Location"]
    assert browser.get(authorize, timeout=10).status_code == 200
    back = browser.post(
        authorize,
        data={"username": username, "password": "secret"},
        timeout=10,
        allow_redirects=False,
    )
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CALLBACK
    return client.get(f"{parts.path}?{parts.query}")


def _file(client: Any, product: Any, data: dict[str, str]) -> Any:
    form = client.get(reverse("eloket:form", args=[product.slug]))
    assert form.status_code == 200
    found = re.search(r'name="idempotency_key" value="([^"]+)"', form.content.decode())
    payload = {
        "idempotency_key": found.group(1) if found else "",
        "altcha": proof.solve(proof.challenge()),
        "email": "jan@example.org",
        **data,
    }
    return client.post(reverse("eloket:form", args=[product.slug]), payload)


def _no_number_in_audit() -> None:
    for event in AuditEvent.objects.all():
        assert NRN not in json.dumps(event.details) and NRN not in event.actor_id


def test_the_form_first_asks_to_sign_in_then_is_prefilled_and_files_with_the_login_number(
    client, provider, uittreksel
) -> None:
    page = client.get(reverse("eloket:form", args=[uittreksel.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("eloket:login", args=[uittreksel.slug]) in html
    assert "Aanmelden met itsme/eID" in html and "idempotency_key" not in html

    back = sign_in(client, uittreksel)

    assert back.status_code == 302
    assert back["Location"] == reverse("eloket:form", args=[uittreksel.slug])
    form = client.get(back["Location"]).content.decode()
    assert re.search(rf'name="nn" value="{NRN}"[^>]*readonly', form)
    assert 'name="name" value="Jan Peeters"' in form
    assert client.session["onthaal_eloket_identity"]["nrn"] == NRN

    filed = _file(client, uittreksel, {"name": "Jan Peeters", "nn": NRN, "purpose": "werk"})

    assert filed.status_code == 302, filed.content.decode()
    request = Request.objects.get()
    assert request.national_number == NRN and request.answers["nn"] == NRN
    [login] = AuditEvent.objects.filter(action=Action.LOGIN, details__via="eloket")
    assert login.actor_type == "citizen" and login.details == {
        "via": "eloket",
        "issuer": provider.issuer,
    }
    created = AuditEvent.objects.get(action=Action.CREATE, object_id=request.reference)
    assert created.details["login"] == login.actor_id
    _no_number_in_audit()


def test_a_posted_different_national_number_is_ignored(client, provider, uittreksel) -> None:
    sign_in(client, uittreksel)
    filed = _file(client, uittreksel, {"name": "Jan Peeters", "nn": OTHER_NRN})
    assert filed.status_code == 302
    request = Request.objects.get()
    assert request.national_number == NRN and request.answers["nn"] == NRN
    assert OTHER_NRN not in json.dumps(request.answers)


def test_a_product_without_a_national_number_field_stores_none(client, provider, premie) -> None:
    sign_in(client, premie)
    form = client.get(reverse("eloket:form", args=[premie.slug])).content.decode()
    assert NRN not in form
    filed = _file(client, premie, {"name": "Jan Peeters", "question": "Hoeveel?"})
    assert filed.status_code == 302
    request = Request.objects.get()
    assert request.national_number == "" and NRN not in json.dumps(request.answers)


def test_filing_without_a_login_is_refused_audited_and_files_nothing(
    client, provider, uittreksel
) -> None:
    payload = {
        "idempotency_key": "k1",
        "altcha": proof.solve(proof.challenge()),
        "email": "jan@example.org",
        "name": "Jan",
        "nn": NRN,
    }
    refused = client.post(reverse("eloket:form", args=[uittreksel.slug]), payload)
    assert refused.status_code == 403
    assert "nothing was sent" in refused.content.decode() or "niets verstuurd" in (
        refused.content.decode()
    )
    assert Request.objects.count() == 0 and MailItem.objects.count() == 0
    [event] = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert event.object_id == uittreksel.slug and event.details["reason"] == "not_signed_in"


def test_an_expired_login_is_refused_and_files_nothing(
    client, provider, uittreksel, settings
) -> None:
    sign_in(client, uittreksel)
    form = client.get(reverse("eloket:form", args=[uittreksel.slug])).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    settings.ELOKET_LOGIN_MINUTES = -1
    payload = {
        "idempotency_key": key,
        "altcha": proof.solve(proof.challenge()),
        "email": "jan@example.org",
        "name": "Jan",
        "nn": NRN,
    }
    refused = client.post(reverse("eloket:form", args=[uittreksel.slug]), payload)
    assert refused.status_code == 403
    assert Request.objects.count() == 0 and MailItem.objects.count() == 0
    [event] = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED)
    assert event.details["reason"] == "login_expired"
    assert "onthaal_eloket_identity" not in client.session


def test_an_unconfigured_provider_gives_a_clear_page_with_an_appointment_link(
    client, world, uittreksel, settings
) -> None:
    settings.ELOKET_OIDC_DISCOVERY_URL = ""
    page = client.get(reverse("eloket:form", args=[uittreksel.slug]))
    assert page.status_code == 200
    assert reverse("appointments:start") in page.content.decode()
    assert "idempotency_key" not in page.content.decode()
    posted = client.post(reverse("eloket:form", args=[uittreksel.slug]), {"name": "Jan"})
    assert posted.status_code == 503 and Request.objects.count() == 0
    # The login button goes nowhere but back to the form.
    assert client.get(reverse("eloket:login", args=[uittreksel.slug])).status_code == 302


def test_a_callback_with_a_bad_state_is_refused_and_audited(client, provider, uittreksel) -> None:
    client.get(reverse("eloket:login", args=[uittreksel.slug]))
    back = client.get(reverse("eloket:login-callback") + "?code=abc&state=forged")
    assert back.status_code == 400
    assert "onthaal_eloket_identity" not in client.session
    [event] = AuditEvent.objects.filter(action=Action.LOGIN_FAILED, details__via="eloket")
    assert event.details["reason"] == "state"


def test_a_login_without_a_national_number_is_refused(client, provider, uittreksel) -> None:
    provider.add_user("zonder", password="secret", given_name="Zonder")
    back = sign_in(client, uittreksel, username="zonder")
    assert back.status_code == 403
    assert "onthaal_eloket_identity" not in client.session
    [event] = AuditEvent.objects.filter(action=Action.LOGIN_FAILED, details__via="eloket")
    assert event.details["reason"] == "no_national_number"


def test_the_api_refuses_a_strong_login_product(client, provider, uittreksel) -> None:
    response = client.post(
        reverse("api-eloket-requests"),
        data=json.dumps(
            {
                "product": uittreksel.slug,
                "answers": {"name": "Jan", "nn": NRN},
                "email": "jan@example.org",
                "altcha": proof.solve(proof.challenge()),
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 403, response.content
    assert Request.objects.count() == 0


def test_the_citizen_signs_out_and_the_form_asks_for_a_login_again(
    client: Any, provider: Provider, uittreksel: Any
) -> None:
    sign_in(client, uittreksel)
    form = client.get(reverse("eloket:form", args=[uittreksel.slug])).content.decode()
    assert 'id="eloket-logout"' in form and "Jan Peeters" in form
    session_before = client.session.session_key

    out = client.post(reverse("eloket:logout"), {"product": uittreksel.slug})

    assert out.status_code == 302
    assert out["Location"] == reverse("eloket:product", args=[uittreksel.slug])
    assert client.session.session_key != session_before
    again = client.get(reverse("eloket:form", args=[uittreksel.slug])).content.decode()
    assert "Jan Peeters" not in again and reverse("eloket:login", args=[uittreksel.slug]) in again
    refused = _file(client, uittreksel, {"name": "Jan", "nn": NRN})
    assert refused.status_code == 403 and Request.objects.count() == 0
    logout = AuditEvent.objects.get(action=Action.LOGOUT, details__via="eloket")
    login = AuditEvent.objects.get(action=Action.LOGIN, details__via="eloket")
    assert logout.object_id == login.object_id  # the same pseudonym
    _no_number_in_audit()


def test_signing_out_without_a_login_changes_nothing_and_records_nothing(client: Any) -> None:
    out = client.post(reverse("eloket:logout"), {"product": "no-such-product"})
    assert out.status_code == 302 and out["Location"] == reverse("eloket:index")
    assert not AuditEvent.objects.filter(action=Action.LOGOUT).exists()
