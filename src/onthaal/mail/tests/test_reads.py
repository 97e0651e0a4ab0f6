"""Every read of the mail register is one audit event naming the item(s) and the reader, and
confidential OCMW mail cannot be found by anyone outside its department — by list, search,
count, URL, API or export — while every try is recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.urls import URLResolver, get_resolver, reverse
from drf_spectacular.generators import SchemaGenerator

from onthaal.audit.models import AuditEvent
from onthaal.core.clock import BRUSSELS
from onthaal.mail import documents, services
from onthaal.mail.models import DestructionLine, DestructionList, Direction, FinalAction
from onthaal.mail.samples import scan_image, text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 23, 12, 0, tzinfo=BRUSSELS)


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


@dataclasses.dataclass(frozen=True)
class Read:
    """How to read through one URL or API operation, who reads, and what its one event is."""

    path: Callable[[Any], str]
    action: str
    reader: str = "lead"  # a team lead of Burgerzaken: reads, searches and exports
    names: str = "item"  # "item": its object; "items": a list of them; "lists": destruction lists


# Every read of the mail app: pages by URL name, API operations by (path, method) in the
# OpenAPI schema. The tests below derive the app's URLs and operations from the URL conf and
# the schema, and fail on one that is in none of these tables.
PAGE_READS: dict[str, Read] = {
    "mail:inbox": Read(lambda w: reverse("mail:inbox"), "search", names="items"),
    "mail:search": Read(lambda w: reverse("mail:search") + "?q=kerkstraat", "search", names="items"),
    "mail:export": Read(lambda w: reverse("mail:export") + "?q=kerkstraat", "export", names="items"),
    "mail:item": Read(lambda w: reverse("mail:item", args=[w.letter.public_id]), "view"),
    "mail:download": Read(lambda w: reverse("mail:download", args=[w.letter.public_id, 1]), "download"),
    "mail:preview": Read(lambda w: reverse("mail:preview", args=[w.letter.public_id, 1]), "view"),
    "mail:thumbnail": Read(lambda w: reverse("mail:thumbnail", args=[w.letter.public_id, 2]), "view"),
    "mail:retention": Read(lambda w: reverse("mail:retention"), "view", "auditor", names="lists"),
    "mail:retention-list": Read(
        lambda w: reverse("mail:retention-list", args=[w.destruction_list.pk]), "view", "auditor", names="items"
    ),
    "mail:retention-archive": Read(
        lambda w: reverse("mail:retention-archive", args=[w.destruction_list.pk]), "export", "auditor", names="items"
    ),
}  # fmt: skip
API_READS: dict[tuple[str, str], Read] = {
    ("/api/v1/mail/", "get"): Read(lambda w: reverse("api-mail") + "?q=kerkstraat", "search", names="items"),
    ("/api/v1/mail/{public_id}/", "get"): Read(lambda w: reverse("api-mail-item", args=[w.letter.public_id]), "view"),
    ("/api/v1/mail/{public_id}/documents/{n}/", "get"): Read(
        lambda w: reverse("api-mail-document", args=[w.letter.public_id, 1]), "download"
    ),
}  # fmt: skip
# Pages that only write (POST; a GET is refused with 405). Each write's event is tested with
# its service.
PAGE_WRITES = {
    "mail:bulk-assign",
    "mail:assign",
    "mail:start",
    "mail:close",
    "mail:answer",
    "mail:grant",
    "mail:retention-propose",
    "mail:retention-approve",
    "mail:retention-reject",
    "mail:retention-take-off",
}
API_WRITES = {
    ("/api/v1/mail/", "post"),
    ("/api/v1/mail/{public_id}/assign/", "post"),
    ("/api/v1/mail/{public_id}/answer/", "post"),
}
# Pages whose GET shows a form and no mail item: no read event, no register number.
PAGE_FORMS = {"mail:intake"}


def _mail_patterns() -> dict[str, str]:
    """Every URL pattern of the whole site whose view is in the mail app: name -> route."""
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
                continue
            view = getattr(pattern.callback, "view_class", pattern.callback)
            if view.__module__.startswith("onthaal.mail."):
                found[f"{namespace}{pattern.name}"] = prefix + str(pattern.pattern)

    walk(get_resolver().url_patterns, "", "")
    return found


def _mail_operations() -> set[tuple[str, str]]:
    """Every operation of the API schema (as ``make openapi`` generates it) under
    /api/v1/mail/."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/mail/")
        for method in operations
        if method in ("get", "put", "patch", "post", "delete")
    }


def _schema_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_page_and_api_operation_of_the_app_is_listed_as_a_read_a_write_or_a_form():
    patterns = _mail_patterns()
    pages = {name for name, route in patterns.items() if not route.startswith("api/")}
    unlisted = pages - set(PAGE_READS) - PAGE_WRITES - PAGE_FORMS
    assert not unlisted, f"mail pages the read-logging test does not know: {sorted(unlisted)}"
    assert pages == set(PAGE_READS) | PAGE_WRITES | PAGE_FORMS  # and none listed in vain
    operations = _mail_operations()
    unlisted_ops = operations - set(API_READS) - API_WRITES
    assert not unlisted_ops, f"mail API operations the test does not know: {sorted(unlisted_ops)}"
    assert operations == set(API_READS) | API_WRITES
    # Every API route of the app is in the schema (none escapes the table by being left out).
    api_routes = {_schema_path(r) for r in patterns.values() if r.startswith("api/")}
    assert api_routes == {path for path, _method in operations}


@pytest.fixture
def reading(world: Any, items: dict[str, Any]) -> Any:
    # Approved, transferring the letter: its archive package is a read too.
    destruction_list = DestructionList.objects.create(
        organisation=world.gemeente,
        year=2027,
        proposed_by=world.auditor,
        proposed_at=NOON,
        status=DestructionList.State.APPROVED,
        decided_by=world.manager,
        decided_at=NOON,
    )
    DestructionLine.objects.create(
        destruction_list=destruction_list, item=items["letter"], action=FinalAction.TRANSFER
    )
    return types.SimpleNamespace(letter=items["letter"], destruction_list=destruction_list)


def test_each_read_writes_exactly_one_event_naming_the_item_and_the_reader(client, world, reading):
    # One loop rather than one test per read: the documents' OCR makes the fixture slow.
    letter = reading.letter
    for key, read in [*PAGE_READS.items(), *API_READS.items()]:
        reader = getattr(world, read.reader)
        client.force_login(reader)
        mark = _mark()
        response = client.get(read.path(reading))
        assert response.status_code == 200, (key, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        events = _events_since(mark)
        assert [e.action for e in events] == [read.action], key
        event = events[0]
        assert event.actor_label == reader.username, key
        assert event.actor_id == str(reader.pk), key
        if read.names == "items":
            # The items by number and id (the OCMW's register has its own IN-2027-000001).
            assert letter.register_number in event.details["items"], key
            assert event.details["ids"] == [str(letter.public_id)], key
        elif read.names == "lists":
            assert event.details["lists"] == [reading.destruction_list.pk], key
        else:
            assert event.object_id == letter.register_number, key
            assert event.details["id"] == str(letter.public_id), key
            assert event.organisation_id == letter.organisation_id, key
        if read.action == "search":
            assert event.details["hits"] >= 1, key
            assert event.details.get("filters", {}).get("q", "") in ("", "kerkstraat"), key


def test_the_other_pages_read_no_item_on_a_get(client, world, reading):
    client.force_login(world.lead)
    args = {"public_id": reading.letter.public_id, "pk": reading.destruction_list.pk}
    routes = _mail_patterns()
    for name in sorted(PAGE_WRITES | PAGE_FORMS):
        kwargs = {k: v for k, v in args.items() if f":{k}>" in routes[name]}
        mark = _mark()
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == (200 if name in PAGE_FORMS else 405), name
        assert reading.letter.register_number not in response.content.decode(), name
        assert _events_since(mark) == [], name


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


def test_who_saw_item_x_finds_the_lists_searches_and_exports_that_showed_it(client, world, items):
    """The auditor's page, searching by a register number, finds the detail view and every
    list, search and export whose hits named the item, and nothing that did not show it."""
    letter, ocmw = items["letter"], items["ocmw"]
    client.force_login(world.lead)
    assert client.get(reverse("mail:search"), {"q": "Kerkstraat"}).status_code == 200
    assert client.get(reverse("mail:item", args=[letter.public_id])).status_code == 200
    assert client.get(reverse("mail:export")).status_code == 200
    assert client.get(reverse("api-mail"), {"q": "Verhuis"}).status_code == 200
    client.force_login(world.auditor)
    page = client.get(reverse("audit:search"), {"object_id": letter.register_number})
    assert page.status_code == 200
    shown = {(e.action, e.actor_label) for e in page.context["page"].object_list}
    registered = ("create", world.clerk.username)
    assert shown == {registered, ("view", "lead"), ("search", "lead"), ("export", "lead")}
    found = list(page.context["page"].object_list)
    assert sum(1 for e in found if e.action == "search") == 2  # the page's and the API's
    assert all(
        e.object_id == letter.register_number
        or letter.register_number in e.details.get("items", [])
        for e in found
    )
    # By id the same events but the OCMW's registration: a register number repeats in each
    # organisation's own register, the id does not.
    by_id = client.get(reverse("audit:search"), {"object_id": str(letter.public_id)})
    ocmw_own = {e.pk for e in found if e.details.get("id") == str(ocmw.public_id)}
    assert len(ocmw_own) == 1
    assert {e.pk for e in by_id.context["page"].object_list} == {e.pk for e in found} - ocmw_own
    # The OCMW item was in none of the lead's hit lists: only its own registration.
    other = client.get(reverse("audit:search"), {"object_id": str(ocmw.public_id)})
    assert [(e.action, e.object_id) for e in other.context["page"].object_list] == [
        ("create", ocmw.register_number)
    ]
