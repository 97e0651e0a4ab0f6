"""The register: numbers per organisation, direction and year; the state machine; routing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import AccessDenied, Conflict, DomainError
from onthaal.mail import search, services
from onthaal.mail.models import AccessGrant, Direction, MailItem, RegisterCounter, Status

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2027, 3, 23, 12, 0, tzinfo=BRUSSELS)


def register(world, direction=Direction.IN, department=None, **kwargs):
    actor = kwargs.pop("actor", world.clerk if direction == Direction.IN else world.agent)
    return services.register_item(
        actor=actor,
        direction=direction,
        department=department or world.burgerzaken,
        document_type=kwargs.pop("document_type", world.letter),
        subject=kwargs.pop("subject", "Vraag over een bouwvergunning"),
        correspondent=kwargs.pop("correspondent", world.citizen),
        **kwargs,
    )


@time_machine.travel(NOON, tick=False)
def test_numbers_count_per_direction_and_organisation(world):
    first, second = register(world), register(world)
    answer = register(world, Direction.OUT)
    ocmw = register(world, department=world.sociale_dienst, document_type=world.social)
    assert [first.register_number, second.register_number] == ["IN-2027-000001", "IN-2027-000002"]
    assert answer.register_number == "UIT-2027-000001"
    assert ocmw.register_number == "IN-2027-000001"  # the OCMW has its own register
    assert ocmw.organisation_id != first.organisation_id
    assert first.due_date == dt.date(2027, 4, 22)  # received today + 30 days
    assert answer.due_date is None and answer.sent_on == dt.date(2027, 3, 23)
    assert AuditEvent.objects.filter(action="create", object_type="mail.item").count() == 4
    event = AuditEvent.objects.get(action="create", object_id="UIT-2027-000001")
    assert event.details["id"] == str(answer.public_id) and event.actor_label == "agent"


def test_a_new_year_starts_at_one(world):
    with time_machine.travel(dt.datetime(2027, 12, 31, 23, 59, tzinfo=BRUSSELS), tick=False):
        assert register(world).register_number == "IN-2027-000001"
        assert register(world).register_number == "IN-2027-000002"
    with time_machine.travel(dt.datetime(2028, 1, 1, 0, 1, tzinfo=BRUSSELS), tick=False):
        assert register(world).register_number == "IN-2028-000001"


@time_machine.travel(NOON, tick=False)
def test_a_registration_that_fails_after_taking_its_number_leaves_no_hole(world, monkeypatch):
    register(world)
    real = search.reindex

    def broken(item_id):
        raise RuntimeError("disk full")

    monkeypatch.setattr(search, "reindex", broken)
    with pytest.raises(RuntimeError):
        register(world)
    monkeypatch.setattr(search, "reindex", real)
    after = register(world)
    assert after.register_number == "IN-2027-000002"
    assert MailItem.objects.count() == 2
    assert RegisterCounter.objects.get(direction="in").last == 2
    assert AuditEvent.objects.filter(action="create", object_type="mail.item").count() == 2


@time_machine.travel(NOON, tick=False)
def test_a_double_click_registers_once(world):
    first = register(world, idempotency_key="scan-42")
    again = register(world, idempotency_key="scan-42")
    assert again.pk == first.pk and MailItem.objects.count() == 1
    with pytest.raises(Conflict):
        register(world, idempotency_key="scan-42", actor=world.lead)
    assert RegisterCounter.objects.get().last == 1


@time_machine.travel(NOON, tick=False)
def test_bad_input_registers_nothing(world):
    with pytest.raises(DomainError) as error:
        register(world, received_on=dt.date(2027, 3, 24))
    assert "received_on" in error.value.fields
    with pytest.raises(DomainError) as error:
        register(world, handler=world.social_worker)  # not a Burgerzaken handler
    assert "handler" in error.value.fields
    with pytest.raises(DomainError):
        register(world, direction="sideways")
    assert MailItem.objects.count() == 0 and not RegisterCounter.objects.exists()


@time_machine.travel(NOON, tick=False)
def test_only_the_mail_clerk_and_handlers_register(world):
    with pytest.raises(AccessDenied):
        register(world, actor=world.auditor)
    with pytest.raises(AccessDenied):  # outgoing mail of Burgerzaken: not the social worker's
        register(world, Direction.OUT, actor=world.social_worker)
    flush_pending_refusals()
    assert AuditEvent.objects.filter(action="permission_denied").count() == 2
    assert MailItem.objects.count() == 0


@time_machine.travel(NOON, tick=False)
def test_confidential_when_the_department_or_the_type_says_so(world):
    assert register(world, department=world.sociale_dienst).confidential
    assert register(world, document_type=world.social).confidential
    assert not register(world).confidential


@time_machine.travel(NOON, tick=False)
def test_the_lifecycle_and_its_events(world):
    item = register(world)
    assert item.status == Status.REGISTERED
    services.assign_item(actor=world.clerk, item=item, handler=world.agent)
    with pytest.raises(AccessDenied):  # agent2 is not the handler
        services.start_item(actor=world.agent2, item=item)
    assert flush_pending_refusals() == 1
    services.start_item(actor=world.agent, item=item)
    services.assign_item(actor=world.agent, item=item, handler=world.agent2, note="Voor jou")
    item.refresh_from_db()
    assert (item.status, item.handler, item.routing_note) == (
        Status.ASSIGNED,
        world.agent2,
        "Voor jou",
    )
    with pytest.raises(Conflict):
        services.assign_item(
            actor=world.clerk,
            item=services.close_item(actor=world.agent2, item=item),
            handler=world.agent,
        )
    transitions = AuditEvent.objects.filter(action="transition", object_id=item.register_number)
    assert [e.details["transition"] for e in transitions.order_by("pk")] == [
        "assign",
        "start",
        "assign",
        "close",
    ]


@time_machine.travel(NOON, tick=False)
def test_bulk_assign_is_all_or_nothing(world):
    items = [register(world) for _ in range(3)]
    services.close_item(actor=world.clerk, item=items[1])
    with pytest.raises(Conflict):
        services.bulk_assign(actor=world.clerk, items=items, handler=world.agent)
    assert MailItem.objects.filter(handler__isnull=False).count() == 0
    assert services.bulk_assign(actor=world.clerk, items=[items[0], items[2]], handler=world.agent)
    assert MailItem.objects.filter(handler=world.agent, status=Status.ASSIGNED).count() == 2


@time_machine.travel(NOON, tick=False)
def test_the_database_refuses_an_unknown_status_and_a_handled_item_without_handler(world):
    item = register(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        MailItem.objects.filter(pk=item.pk).update(status="lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        MailItem.objects.filter(pk=item.pk).update(status=Status.IN_PROGRESS)


@time_machine.travel(NOON, tick=False)
def test_a_grant_needs_a_reason_and_expires(world):
    item = register(world, department=world.sociale_dienst, handler=world.social_worker)
    with pytest.raises(DomainError):
        services.grant_access(actor=world.social_worker, item=item, grantee=world.agent, reason=" ")
    grant = services.grant_access(
        actor=world.social_worker, item=item, grantee=world.agent, reason="Adresvraag", days=2
    )
    assert grant.expires_at - grant.created_at == dt.timedelta(days=2)
    event = AuditEvent.objects.filter(object_id=item.register_number, action="update").get()
    assert event.details["grantee_name"] == "agent" and event.details["reason"] == "Adresvraag"
    with pytest.raises(AccessDenied):  # only the handler (or a lead) grants
        services.grant_access(actor=world.agent, item=item, grantee=world.agent2, reason="x")
    assert flush_pending_refusals() == 1
    refusal = AuditEvent.objects.get(action="permission_denied")
    assert (refusal.actor_label, refusal.object_id) == ("agent", item.register_number)
    assert not AccessGrant.objects.filter(grantee=world.agent2).exists()


def test_answering_an_item_that_is_not_there_or_not_visible_is_a_field_error(world):
    import uuid

    from django.urls import reverse
    from rest_framework.test import APIClient

    hidden = services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=world.sociale_dienst,
        document_type=world.social,
        subject="Aanvraag leefloon",
    )
    client = APIClient()
    client.force_authenticate(world.lead)  # a Burgerzaken lead: Sociale Dienst is not theirs
    body = {
        "direction": "out",
        "department": world.burgerzaken.pk,
        "informatieobjecttype": world.letter.pk,
        "subject": "Antwoord",
    }
    answers = []
    for missing in (uuid.uuid4(), hidden.public_id):
        response = client.post(reverse("api-mail"), {**body, "answers": str(missing)})
        assert response.status_code == 400, response.content
        answers.append(response.json()["fields"]["answers"])
    # The same words whether the item does not exist or is not the caller's to see.
    assert (
        answers[0] == answers[1] == [{"code": "invalid", "message": "Dit poststuk bestaat niet."}]
    )
    assert MailItem.objects.count() == 1
    refusals = AuditEvent.objects.filter(action="permission_denied", actor_label="lead")
    assert refusals.count() == 2
