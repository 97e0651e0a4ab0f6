"""Every read of the mail register is one audit event naming the item(s) and the reader, and
confidential OCMW mail cannot be found by anyone outside its department — by list, search,
count, URL, API or export — while every try is recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.urls import URLPattern, reverse

from onthaal.audit.models import AuditEvent
from onthaal.core.clock import BRUSSELS
from onthaal.mail import api_urls, documents, services, urls
from onthaal.mail.models import Direction
from onthaal.mail.samples import scan_image, text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 23, 12, 0, tzinfo=BRUSSELS)
READ_ACTIONS = ("view", "download", "search", "export")


@pytest.fixture
def items(world: Any) -> dict[str, Any]:
    with time_machine.travel(NOON, tick=False):
        letter = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Verhuis naar de Kerkstraat",
            correspondent=world.citizen,
            handler=world.agent,
            files=[Upload("brief.pdf", text_pdf("Verhuis")), Upload("foto.png", scan_image("x"))],
        )
        ocmw = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.sociale_dienst,
            document_type=world.social,
            subject="Aanvraag leefloon Kerkstraat",
            correspondent=world.citizen,
            handler=world.social_worker,
            files=[Upload("leefloon.pdf", text_pdf("Leefloon"))],
        )
    for item in (letter, ocmw):
        for document in item.documents.all():
            documents.process_document(document)
    return {"letter": letter, "ocmw": ocmw}


def _events_since(mark: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))


def _mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


# Each URL of the app that reads, with how to call it and what its one event must name.
# (url name, method and path maker, expected action)
def _reads(item: Any) -> dict[str, tuple[Callable[[], str], str]]:
    i = item.public_id
    return {
        "mail:inbox": (lambda: reverse("mail:inbox"), "search"),
        "mail:search": (lambda: reverse("mail:search") + "?q=kerkstraat", "search"),
        "mail:export": (lambda: reverse("mail:export") + "?q=kerkstraat", "export"),
        "mail:item": (lambda: reverse("mail:item", args=[i]), "view"),
        "mail:download": (lambda: reverse("mail:download", args=[i, 1]), "download"),
        "mail:preview": (lambda: reverse("mail:preview", args=[i, 1]), "view"),
        "mail:thumbnail": (lambda: reverse("mail:thumbnail", args=[i, 2]), "view"),
        "api-mail": (lambda: reverse("api-mail") + "?q=kerkstraat", "search"),
        "api-mail-item": (lambda: reverse("api-mail-item", args=[i]), "view"),
        "api-mail-document": (lambda: reverse("api-mail-document", args=[i, 1]), "download"),
    }


# The app's URLs that only write (POST); each write's event is tested with its service.
WRITES = {
    "mail:intake",
    "mail:bulk-assign",
    "mail:assign",
    "mail:start",
    "mail:close",
    "mail:answer",
    "mail:grant",
    "api-mail-assign",
    "api-mail-answer",
}


def _names() -> set[str]:
    page_names = {f"mail:{p.name}" for p in urls.urlpatterns if isinstance(p, URLPattern)}
    api_names = {p.name for p in api_urls.urlpatterns if isinstance(p, URLPattern)}
    return page_names | {n for n in api_names if n}


def test_every_url_of_the_app_is_either_a_read_checked_here_or_a_write(world, items):
    assert _names() == set(_reads(items["letter"])) | WRITES


def test_each_read_writes_exactly_one_event_naming_the_item_and_the_reader(client, world, items):
    client.force_login(world.lead)  # a team lead of Burgerzaken: reads and exports
    letter = items["letter"]
    for url_name, (path, action) in _reads(letter).items():
        mark = _mark()
        response = client.get(path())
        assert response.status_code == 200, (url_name, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        events = _events_since(mark)
        assert [e.action for e in events] == [action], url_name
        event = events[0]
        assert event.actor_label == "lead" and event.actor_id == str(world.lead.pk), url_name
        # The item by its number and id (the OCMW's register has its own IN-2027-000001).
        if action in ("search", "export"):
            assert letter.register_number in event.details["items"], url_name
            assert event.details["ids"] == [str(letter.public_id)], url_name
        else:
            assert event.object_id == letter.register_number, url_name
            assert event.details["id"] == str(letter.public_id), url_name
            assert event.organisation_id == letter.organisation_id, url_name
        if action == "search":
            assert event.details["hits"] >= 1
            assert event.details.get("filters", {}).get("q", "") in ("", "kerkstraat")


def test_the_document_events_name_the_document_and_its_hash(client, world, items):
    client.force_login(world.agent)
    letter = items["letter"]
    client.get(reverse("mail:download", args=[letter.public_id, 1]))
    event = AuditEvent.objects.filter(action="download").get()
    document = letter.documents.get(position=1)
    assert event.details == {
        "id": str(letter.public_id),
        "document": 1,
        "kind": "original",
        "sha256": document.sha256,
    }


def test_a_burgerzaken_member_finds_no_ocmw_item_anywhere_and_every_try_is_recorded(
    client, world, items
):
    ocmw = items["ocmw"]
    public_id = str(ocmw.public_id)
    client.force_login(world.lead)  # Burgerzaken team lead: may also export
    tries = [
        ("list", reverse("mail:inbox"), 200, "search"),
        ("search", reverse("mail:search") + "?q=leefloon", 200, "search"),
        ("search on the shared word", reverse("mail:search") + "?q=kerkstraat", 200, "search"),
        ("count per department", reverse("mail:inbox") + f"?department={world.sociale_dienst.pk}", 403, "permission_denied"),
        ("URL", reverse("mail:item", args=[public_id]), 404, "permission_denied"),
        ("document URL", reverse("mail:download", args=[public_id, 1]), 404, "permission_denied"),
        ("preview URL", reverse("mail:preview", args=[public_id, 1]), 404, "permission_denied"),
        ("API list", reverse("api-mail") + "?q=leefloon", 200, "search"),
        ("API count", reverse("api-mail") + f"?department={world.sociale_dienst.pk}", 403, "permission_denied"),
        ("API detail", reverse("api-mail-item", args=[public_id]), 404, "permission_denied"),
        ("API document", reverse("api-mail-document", args=[public_id, 1]), 404, "permission_denied"),
        ("export", reverse("mail:export") + "?q=leefloon", 200, "export"),
        ("export all", reverse("mail:export"), 200, "export"),
    ]  # fmt: skip
    for what, path, status, action in tries:
        mark = _mark()
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == status, what
        assert public_id not in body and "Aanvraag leefloon" not in body, what
        events = _events_since(mark)
        assert [e.action for e in events] == [action], what
        assert events[0].actor_label == "lead", what
        if action in ("search", "export"):
            assert public_id not in str(events[0].details), what
        if what.startswith("API list"):
            assert response.json()["count"] == 0
        if "URL" in what or what.startswith("API d"):
            assert public_id in events[0].object_id, what
    # The inbox's counts and the API's count leave the OCMW out.
    counts = client.get(reverse("mail:inbox")).context["counts"]
    assert {row["department_id"] for row in counts} == {world.burgerzaken.pk}
    assert client.get(reverse("api-mail")).json()["count"] == 1


def test_administration_wide_roles_do_not_see_confidential_mail_either(client, world, items):
    client.force_login(world.manager)
    found = client.get(reverse("api-mail")).json()
    assert [r["register_number"] for r in found["results"]] == [items["letter"].register_number]
    assert client.get(reverse("api-mail-item", args=[items["ocmw"].public_id])).status_code == 404
    client.force_login(world.social_worker)
    mine = client.get(reverse("api-mail")).json()
    assert [r["register_number"] for r in mine["results"]] == [items["ocmw"].register_number]


def test_a_grant_opens_one_item_until_it_expires(client, world, items):
    ocmw = items["ocmw"]
    with time_machine.travel(NOON, tick=False):
        services.grant_access(
            actor=world.social_worker,
            item=ocmw,
            grantee=world.agent,
            reason="Adres nakijken",
            days=1,
        )
        client.force_login(world.agent)
        assert client.get(reverse("mail:item", args=[ocmw.public_id])).status_code == 200
    with time_machine.travel(NOON + dt.timedelta(days=1, minutes=1), tick=False):
        client.force_login(world.agent)
        assert client.get(reverse("mail:item", args=[ocmw.public_id])).status_code == 404
    assert (
        AuditEvent.objects.filter(
            action="view", object_id=ocmw.register_number, actor_label="agent"
        ).count()
        == 1
    )
    assert (
        AuditEvent.objects.filter(
            action="permission_denied", object_id=str(ocmw.public_id), actor_label="agent"
        ).count()
        == 1
    )


def test_unknown_and_malformed_ids_are_404_and_recorded(client, world):
    client.force_login(world.agent)
    for value in ("00000000-0000-0000-0000-000000000000", "1", "IN-2027-000001"):
        assert client.get(reverse("mail:item", args=[value])).status_code == 404
        assert client.get(reverse("api-mail-item", args=[value])).status_code == 404
    assert AuditEvent.objects.filter(action="permission_denied").count() == 6
