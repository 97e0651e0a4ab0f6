"""The mail pages: intake (without and with script), inbox, item actions, answers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail as outbox_mail
from django.urls import reverse

from onthaal.accounts import access
from onthaal.audit.models import AuditEvent
from onthaal.core.clock import BRUSSELS
from onthaal.mail import letters, outbox, services
from onthaal.mail.models import Direction, MailItem, MailRule, OutgoingMessage, Status
from onthaal.mail.samples import text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 23, 12, 0, tzinfo=BRUSSELS)


def test_the_mail_clerk_lands_on_the_intake(world):
    assert access.start_page(world.clerk) == "mail:intake"


def _intake(client, world, **extra):
    data = {
        "channel": "post",
        "received_on": "2027-03-23",
        "department": world.burgerzaken.pk,
        "document_type": world.letter.pk,
        "correspondent": "Jan Peeters",
        "subject": "Verhuis",
        **extra,
    }
    return client.post(reverse("mail:intake"), data, **extra.pop("headers", {}))


@time_machine.travel(NOON, tick=False)
def test_intake_without_script_registers_each_file_as_an_item(client, world):
    client.force_login(world.clerk)
    files = [
        _file("a.pdf", text_pdf("Eerste brief")),
        _file("b.pdf", text_pdf("Tweede brief")),
    ]
    response = _intake(client, world, scans=files)
    assert response.status_code == 302 and response["Location"] == reverse("mail:intake")
    items = MailItem.objects.order_by("sequence")
    assert [i.register_number for i in items] == ["IN-2027-000001", "IN-2027-000002"]
    assert [i.documents.get().filename for i in items] == ["a.pdf", "b.pdf"]
    page = client.get(reverse("mail:intake")).content.decode()
    assert "IN-2027-000001, IN-2027-000002" in page


@time_machine.travel(NOON, tick=False)
def test_intake_as_pages_of_one_letter_and_by_script(client, world):
    client.force_login(world.clerk)
    files = [_file("p1.pdf", text_pdf("Pagina 1")), _file("p2.pdf", text_pdf("Pagina 2"))]
    response = client.post(
        reverse("mail:intake"),
        {
            "channel": "post",
            "department": world.burgerzaken.pk,
            "document_type": world.letter.pk,
            "one_item": "on",
            "scans": files,
        },
        headers={"Accept": "application/json", "Idempotency-Key": "drop-1"},
    )
    assert response.status_code == 201
    body = response.json()
    assert [i["register_number"] for i in body["items"]] == ["IN-2027-000001"]
    assert MailItem.objects.get().documents.count() == 2


@time_machine.travel(NOON, tick=False)
def test_intake_errors_are_shown_per_field_and_register_nothing(client, world):
    client.force_login(world.clerk)
    response = _intake(client, world, scans=[_file("leeg.pdf", b"")])
    assert response.status_code == 400
    assert "leeg.pdf: het bestand is leeg." in response.content.decode()
    json = client.post(
        reverse("mail:intake"),
        {"channel": "post", "subject": "x", "scans": [_file("virus.pdf", b"MZ" + b"\0" * 100)]},
        headers={"Accept": "application/json"},
    )
    assert json.status_code == 400 and "department" in json.json()["fields"]
    assert not MailItem.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_a_rule_suggests_department_type_and_handler(client, world):
    MailRule.objects.create(
        name="Leefloon",
        match=MailRule.Match.KEYWORD,
        pattern="leefloon",
        department=world.sociale_dienst,
        document_type=world.social,
        handler=world.social_worker,
    )
    client.force_login(world.clerk)
    page = client.post(
        reverse("mail:intake"),
        {"channel": "post", "subject": "Aanvraag leefloon", "suggest": "1"},
    )
    form = page.context["form"]
    assert page.context["suggestion"].rule.name == "Leefloon"
    assert form.cleaned_data["department"] == world.sociale_dienst
    response = client.post(
        reverse("mail:intake"),
        {
            "channel": "post",
            "subject": "Mijn leefloon is laat",
            "scans": [_file("a.pdf", text_pdf("x"))],
        },
    )
    assert response.status_code == 302
    item = MailItem.objects.get()
    assert (item.department, item.document_type, item.handler, item.status) == (
        world.sociale_dienst,
        world.social,
        world.social_worker,
        Status.ASSIGNED,
    )
    assert item.confidential
    # The clerk registered it but cannot read it afterwards.
    assert client.get(item.get_absolute_url()).status_code == 404


@time_machine.travel(NOON, tick=False)
def test_only_registering_roles_open_the_intake(client, world):
    client.force_login(world.agent)
    assert client.get(reverse("mail:intake")).status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied", actor_label="agent").count() == 1


@time_machine.travel(NOON, tick=False)
def test_the_handler_answers_with_a_letter_that_carries_the_new_number(client, world):
    if not letters.available():
        pytest.fail("WeasyPrint cannot load (apt-get install libpango-1.0-0 libpangoft2-1.0-0)")
    item = services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=world.burgerzaken,
        document_type=world.letter,
        subject="Verhuis",
        correspondent=world.citizen,
        handler=world.agent,
    )
    client.force_login(world.agent)
    response = client.post(
        reverse("mail:answer", args=[item.public_id]),
        {"kind": "letter", "subject": "Uw verhuis", "body": "Beste,\n\nUw adres is aangepast."},
    )
    answer = MailItem.objects.get(direction=Direction.OUT)
    assert response.status_code == 302 and response["Location"] == answer.get_absolute_url()
    item.refresh_from_db()
    assert (item.status, answer.answers, answer.status) == (Status.ANSWERED, item, Status.CLOSED)
    from onthaal.mail import documents

    letter = answer.documents.get()
    assert letter.filename == "UIT-2027-000001.pdf" and letter.content_type == "application/pdf"
    text = documents.pdf_text(documents.get(letter.sha256))
    assert "UIT-2027-000001" in text and "Uw adres is aangepast." in text
    assert "IN-2027-000001" in text  # "your letter"


@time_machine.travel(NOON, tick=False)
def test_an_answer_by_e_mail_goes_through_the_outbox_with_the_documents(client, world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    item = services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=world.burgerzaken,
        document_type=world.letter,
        subject="Vraag",
        handler=world.agent,
    )
    answer = services.answer_item(
        actor=world.agent,
        item=item,
        kind="email",
        subject="Uw vraag",
        body="Zie bijlage.",
        email_to="jan@example.be",
        files=[Upload("bijlage.pdf", text_pdf("Bijlage"))],
    )
    message = OutgoingMessage.objects.get()
    assert (message.item, message.recipient, message.status) == (
        answer,
        "jan@example.be",
        "pending",
    )
    assert outbox.send_due() == 1
    sent = outbox_mail.outbox[0]
    assert sent.to == ["jan@example.be"] and sent.subject == "Uw vraag"
    assert [a[0] for a in sent.attachments] == ["bijlage.pdf"]
    assert OutgoingMessage.objects.get().status == "sent"


def test_reminders_go_once_to_the_handler_before_the_due_date(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world.agent.email = "agent@zonnedoorn.example"
    world.agent.save()
    with time_machine.travel(NOON, tick=False):
        item = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Vraag",
            handler=world.agent,
        )
        assert outbox.schedule_reminders() == 0  # due in 30 days
    with time_machine.travel(NOON + dt.timedelta(days=28), tick=False):
        assert outbox.schedule_reminders() == 1
        assert outbox.schedule_reminders() == 0
        assert outbox.send_due() == 1
    assert item.register_number in outbox_mail.outbox[0].subject


@time_machine.travel(NOON, tick=False)
def test_bulk_assign_from_the_inbox(client, world):
    items = [
        services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject=f"Brief {n}",
        )
        for n in range(3)
    ]
    client.force_login(world.lead)
    response = client.post(
        reverse("mail:bulk-assign"),
        {"items": [str(i.public_id) for i in items[:2]], "handler": world.agent.pk, "note": "Jij"},
    )
    assert response.status_code == 302
    assert MailItem.objects.filter(handler=world.agent, status=Status.ASSIGNED).count() == 2
    assert AuditEvent.objects.filter(action="transition", details__transition="assign").count() == 2


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@time_machine.travel(NOON, tick=False)
def test_the_clerk_routes_but_is_not_offered_the_handlers_forms(client, world):
    item = services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=world.burgerzaken,
        document_type=world.letter,
        subject="Verhuis",
        handler=world.agent,
    )
    answer = reverse("mail:answer", args=[item.public_id])
    grant = reverse("mail:grant", args=[item.public_id])
    client.force_login(world.clerk)
    page = client.get(item.get_absolute_url()).content.decode()
    assert reverse("mail:assign", args=[item.public_id]) in page
    assert answer not in page and grant not in page
    client.force_login(world.agent)
    page = client.get(item.get_absolute_url()).content.decode()
    assert answer in page and grant in page


@time_machine.travel(NOON, tick=False)
def test_my_mail_counts_only_my_own_items(client, world):
    for handler in (world.agent, world.agent2):
        services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Verhuis",
            handler=handler,
        )
    client.force_login(world.agent)
    mine = client.get(reverse("mail:inbox") + "?mine=1").context["counts"]
    assert [(row["handler_id"], row["open"]) for row in mine] == [(world.agent.pk, 1)]
    everyone = client.get(reverse("mail:inbox")).context["counts"]
    assert {row["handler_id"] for row in everyone} == {world.agent.pk, world.agent2.pk}
