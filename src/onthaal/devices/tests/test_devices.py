"""Devices: enrolment once by code, the cookie, revocation, the binding to one location, and
no staff capability. The kiosk runs on a device, never in a staff session."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from onthaal.accounts.services.tokens import digest
from onthaal.audit.models import Action, AuditEvent
from onthaal.core.errors import DomainError
from onthaal.devices import services
from onthaal.devices.models import Device, Kind
from onthaal.devices.selectors import COOKIE
from onthaal.devices.tests.factories import enrolled
from onthaal.queue.models import Source, Ticket, TicketCounter

pytestmark = pytest.mark.django_db

STAFF_TEXTS = ["Mijn startpagina", "Afmelden", "Personeel aanmelden", "/staff/", "/admin/"]


def kiosk_url(slug: str = "administratief-centrum") -> str:
    return reverse("queue:kiosk", args=[slug])


def test_the_enrolment_code_is_stored_hashed_and_opens_the_device_once(client, zonnedoorn):
    device, code = services.device_create(
        actor=zonnedoorn["users"]["admin"], location=zonnedoorn["ac"], kind="kiosk", name="k-1"
    )
    assert code.replace("-", "") not in str(Device.objects.filter(pk=device.pk).values().get())
    assert device.enrolment_hash == digest(code.replace("-", ""))

    page = client.get(reverse("devices:enrol-code", args=[code]))
    assert page.status_code == 200 and "k-1" in page.content.decode()
    assert Device.objects.get().enrolled_at is None  # looking at the link uses nothing

    response = client.post(reverse("devices:enrol"), {"code": code.lower()})
    assert response.status_code == 302 and response["Location"] == kiosk_url()
    key = response.cookies[COOKIE].value
    assert response.cookies[COOKIE]["httponly"]
    device.refresh_from_db()
    assert device.key_hash == digest(key) and device.enrolment_hash is None
    event = AuditEvent.objects.filter(object_type="devices.device").last()
    assert (event.actor_type, event.actor_label) == ("device", "device:k-1")

    again = client.post(reverse("devices:enrol"), {"code": code})
    assert again.status_code == 400 and COOKIE not in again.cookies
    assert Device.objects.get().key_hash == digest(key)


def test_an_expired_or_unknown_code_is_refused_with_a_field_message(client, zonnedoorn):
    _, code = services.device_create(
        actor=None, location=zonnedoorn["ac"], kind="kiosk", name="k-1"
    )
    assert client.get(reverse("devices:enrol-code", args=["NOPE"])).status_code == 400
    zonnedoorn["traveller"].shift(dt.timedelta(hours=25))
    response = client.post(reverse("devices:enrol"), {"code": code})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert Device.objects.get().enrolled_at is None


def test_a_bad_name_or_kind_is_refused_and_nothing_is_written(zonnedoorn):
    with pytest.raises(DomainError) as refused:
        services.device_create(actor=None, location=zonnedoorn["ac"], kind="tv", name="Kiosk 1")
    assert set(refused.value.fields) == {"name", "kind"}
    assert not Device.objects.exists()


def test_without_a_device_the_kiosk_says_so_even_in_a_staff_session(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["onthaal"])  # a receptionist: counts for nothing
    page = client.get(kiosk_url())
    html = page.content.decode()
    assert page.status_code == 403
    assert "niet geregistreerd" in html and "onthaal device create" in html
    assert not any(text in html for text in STAFF_TEXTS)
    response = client.post(kiosk_url(), {"queue": zonnedoorn["burgerzaken"].pk})
    assert response.status_code == 403 and not Ticket.objects.exists()


def test_the_kiosk_issues_with_the_device_as_actor_and_shows_no_staff_link(client, zonnedoorn):
    device = enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    page = client.get(kiosk_url())
    html = page.content.decode()
    assert page.status_code == 200 and "Burgerzaken" in html
    assert not any(text in html for text in STAFF_TEXTS)
    assert "kiosk.js" in html and "<script>" not in html  # no inline script

    response = client.post(
        kiosk_url(), {"queue": zonnedoorn["burgerzaken"].pk, "submission": "a" * 32}
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "queue:kiosk-ticket", args=["administratief-centrum", ticket.public_id]
    )
    assert ticket.source == Source.KIOSK
    event = AuditEvent.objects.get(object_type="queue.ticket", object_id=str(ticket.pk))
    assert (event.actor_type, event.actor_id, event.actor_label, event.role) == (
        "device",
        "kiosk-ac-1",
        device.actor,
        "",
    )
    shown = client.get(response["Location"]).content.decode()
    assert ticket.code in shown and 'data-kiosk-idle="20"' in shown
    assert not any(text in shown for text in STAFF_TEXTS)
    assert "sessionid" not in client.cookies


def test_a_kiosk_of_one_location_cannot_issue_at_another(client, zonnedoorn):
    enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    url = kiosk_url("sociaal-huis")
    assert client.get(url).status_code == 403
    response = client.post(url, {"queue": zonnedoorn["social"].pk, "submission": "b" * 32})
    assert response.status_code == 403
    assert "Administratief Centrum" in response.content.decode()
    assert not Ticket.objects.exists() and not TicketCounter.objects.exists()
    refusal = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).last()
    assert refusal.actor_label == "device:kiosk-ac-1"
    assert refusal.object_id == str(zonnedoorn["sh"].pk)
    assert refusal.details == {"reason": "other_location", "capability": "devices.kiosk"}


def test_a_screen_cannot_issue_tickets(client, zonnedoorn):
    enrolled(client, zonnedoorn["ac"], kind=Kind.SCREEN, name="screen-ac-1")
    response = client.post(kiosk_url(), {"queue": zonnedoorn["burgerzaken"].pk})
    assert response.status_code == 403 and not Ticket.objects.exists()


def test_a_revoked_device_is_refused_at_once(client, zonnedoorn):
    device = enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    assert client.get(kiosk_url()).status_code == 200
    services.device_revoke(actor=zonnedoorn["users"]["admin"], device=device)
    assert client.get(kiosk_url()).status_code == 403
    response = client.post(kiosk_url(), {"queue": zonnedoorn["burgerzaken"].pk})
    assert response.status_code == 403 and not Ticket.objects.exists()
    with pytest.raises(DomainError):
        services.enrolment_renew(actor=None, device=device)


def test_a_device_has_no_staff_capability(client, zonnedoorn):
    enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    for url in [
        reverse("accounts:start"),
        reverse("queue:reception", args=["administratief-centrum"]),
        reverse("queue:desk-choose"),
        reverse("queue:lead", args=["administratief-centrum"]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    api = client.post(
        "/api/v1/tickets/",
        {"location": zonnedoorn["ac"].pk, "queue": zonnedoorn["burgerzaken"].pk, "source": "kiosk"},
        content_type="application/json",
    )
    assert api.status_code in (401, 403)
    assert not Ticket.objects.exists()


def test_enrolling_ends_a_staff_session_in_that_browser(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["admin"])
    _, code = services.device_create(
        actor=None, location=zonnedoorn["ac"], kind="kiosk", name="k-1"
    )
    client.post(reverse("devices:enrol"), {"code": code})
    assert "_auth_user_id" not in client.session
    assert client.get(kiosk_url()).status_code == 200


def test_the_same_submission_twice_gives_one_ticket_and_loses_no_number(client, zonnedoorn):
    enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    form = {"queue": zonnedoorn["burgerzaken"].pk, "submission": "c" * 32}
    first = client.post(kiosk_url(), form, headers={"Accept": "application/json"})
    again = client.post(kiosk_url(), form, headers={"Accept": "application/json"})
    assert first.json() == again.json() and "redirect" in first.json()
    ticket = Ticket.objects.get()
    assert AuditEvent.objects.filter(object_type="queue.ticket").count() == 1
    other = client.post(kiosk_url(), {**form, "submission": "d" * 32})
    assert other.status_code == 302
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [ticket.number, 2]


def test_a_kiosk_error_answers_json_for_the_script(client, zonnedoorn):
    enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    response = client.post(
        kiosk_url(),
        {"queue": "999999", "submission": "e" * 32},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"]
    assert not Ticket.objects.exists()


def test_the_command_registers_enrols_lists_and_revokes(zonnedoorn):
    out = io.StringIO()
    call_command(
        "device",
        "create",
        "kiosk-sh-1",
        "--location",
        "sociaal-huis",
        "--kind",
        "kiosk",
        stdout=out,
    )
    code = out.getvalue().split("enrolment code ")[1].split()[0]
    assert "/device/enrol/" in out.getvalue()
    device, _ = services.device_enrol(code=code)
    assert device.location == zonnedoorn["sh"]
    call_command("device", "revoke", "kiosk-sh-1", stdout=io.StringIO())
    listing = io.StringIO()
    call_command("device", "list", stdout=listing)
    assert "kiosk-sh-1\tkiosk\tsociaal-huis\trevoked" in listing.getvalue()


def test_a_bad_parameter_on_the_kiosk_answers_in_the_kiosks_own_frame(client, zonnedoorn):
    """A 400 on the kiosk (a parameter it could not read) is the kiosk's page: no citizens'
    menu, no staff link, no way out of the kiosk."""
    enrolled(client, zonnedoorn["ac"], name="kiosk-ac-1")
    response = client.post(kiosk_url(), {"queue": "not-a-number", "submission": "a" * 32})
    html = response.content.decode()
    assert response.status_code == 400
    assert "queue" in html
    assert 'class="device' in html
    assert reverse("appointments:start") not in html  # the citizens' menu
    assert not any(text in html for text in STAFF_TEXTS)
    assert not Ticket.objects.exists()


def test_an_administrator_registers_a_screen_that_shows_its_own_location_only(client, zonnedoorn):
    """The waiting-room screen as a device: registered in the admin, enrolled with its link,
    it opens its location's screen with no staff link and no session, and is refused
    another location's screen (403, audited with the device as actor)."""
    from django.test import Client

    client.force_login(zonnedoorn["users"]["admin"])
    added = client.post(
        reverse("admin:devices_device_add"),
        {"name": "scherm-ac-1", "kind": "screen", "location": zonnedoorn["ac"].pk},
    )
    assert added.status_code == 200
    link = added.context["rows"][0]["link"]
    screen = Client()  # the screen's own browser
    assert screen.get(link).status_code == 200
    enrolled_at = screen.post(reverse("devices:enrol"), {"code": added.context["rows"][0]["code"]})
    own = reverse("queue:screen", args=["administratief-centrum"])
    assert enrolled_at.status_code == 302 and enrolled_at["Location"] == own

    page = screen.get(own)
    html = page.content.decode()
    assert page.status_code == 200 and "Administratief Centrum" in html
    assert not any(text in html for text in STAFF_TEXTS)
    assert "<a " not in html.split("<main", 1)[1]  # no link of any kind on the screen
    assert "sessionid" not in screen.cookies

    other = screen.get(reverse("queue:screen", args=["sociaal-huis"]))
    assert other.status_code == 403
    refused = other.content.decode()
    assert "Administratief Centrum" in refused and 'id="now"' not in refused
    assert not any(text in refused for text in STAFF_TEXTS)
    refusal = AuditEvent.objects.filter(action=Action.PERMISSION_DENIED).last()
    assert refusal.actor_label == "device:scherm-ac-1"
    assert refusal.object_id == str(zonnedoorn["sh"].pk)
    assert refusal.details == {"reason": "other_location", "capability": "devices.screen"}
    # The screen cannot issue tickets either, and a browser without a device still opens
    # any location's (public, numbers-only) screen.
    assert screen.post(kiosk_url(), {"queue": zonnedoorn["burgerzaken"].pk}).status_code == 403
    assert Client().get(reverse("queue:screen", args=["sociaal-huis"])).status_code == 200
