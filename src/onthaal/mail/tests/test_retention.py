"""Retention: the yearly destruction list is drawn up by the system at a person's request,
approved by a second person (never the proposer: refused and recorded), and carried out by
the worker or ``onthaal mail destroy``: the files leave storage, the personal fields are
cleared, the register line and its number stay, one event names the destroyed files by
their hashes, and the audit chain stays intact."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import staff
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import AccessDenied, Conflict, DomainError
from onthaal.mail import documents, retention, services
from onthaal.mail.models import (
    Correspondent,
    DestructionLine,
    DestructionList,
    Direction,
    DocumentType,
    FinalAction,
    MailItem,
)
from onthaal.mail.samples import scan_image, text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

REGISTERED = dt.datetime(2015, 3, 10, 10, 0, tzinfo=BRUSSELS)
LIST_DAY = dt.datetime(2026, 1, 12, 9, 0, tzinfo=BRUSSELS)


@pytest.fixture
def old_mail(world: Any) -> dict[str, Any]:
    """Mail of 2015: a closed letter (kept 10 years, then destroyed), a closed one whose type
    goes to the archive, an item still open, and a letter of 2020 (not due yet)."""
    archive = DocumentType.objects.create(
        name="Raadsbesluit", retention_years=5, final_action=FinalAction.TRANSFER
    )
    world.letter.retention_years = 10
    world.letter.save()
    with time_machine.travel(REGISTERED, tick=False):
        letter = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Verhuis Jan Peeters naar de Kerkstraat",
            correspondent=world.citizen,
            handler=world.agent,
            note="Bel meneer Peeters terug",
            files=[Upload("peeters.pdf", text_pdf("Verhuis")), Upload("id.png", scan_image("x"))],
        )
        services.close_item(actor=world.agent, item=letter)
        decision = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=archive,
            subject="Besluit gemeenteraad",
            files=[Upload("besluit.pdf", text_pdf("Besluit"))],
        )
        services.close_item(actor=world.lead, item=decision)
        still_open = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Nog open",
        )
    with time_machine.travel(REGISTERED.replace(year=2020), tick=False):
        recent = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Recent",
        )
        services.close_item(actor=world.lead, item=recent)
    for document in letter.documents.all():
        documents.process_document(document)
    return {"letter": letter, "decision": decision, "open": still_open, "recent": recent}


@pytest.fixture
def dpo(world: Any) -> Any:
    return staff(Role.ADMIN, None, username="dpo")


def _stored(digest: str) -> bool:
    return documents.storage().exists(documents.blob_name(digest))


def test_propose_refuse_the_proposer_approve_by_a_second_person_and_destroy(world, old_mail, dpo):
    letter = MailItem.objects.get(pk=old_mail["letter"].pk)
    files = list(letter.documents.order_by("position"))
    hashes = {h for d in files for h in (d.sha256, d.rendition_sha256, d.thumbnail_sha256) if h}
    assert len(hashes) >= 3 and all(_stored(h) for h in hashes)

    with time_machine.travel(LIST_DAY, tick=False):
        proposal = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
    lines = {line.item_id: line.action for line in proposal.lines.all()}
    assert lines == {
        letter.pk: FinalAction.DESTROY,
        old_mail["decision"].pk: FinalAction.TRANSFER,
    }  # not the open item, not the item of 2020

    # The proposer cannot approve: refused, recorded, nothing changed.
    with pytest.raises(AccessDenied):
        retention.approve_list(actor=world.auditor, destruction_list=proposal)
    assert flush_pending_refusals() == 1
    refusal = AuditEvent.objects.filter(action="permission_denied").get()
    assert refusal.actor_label == "auditor"
    assert refusal.object_type == "mail.destruction_list" and refusal.object_id == str(proposal.pk)
    assert refusal.details["what"] == "approved"
    proposal.refresh_from_db()
    assert proposal.status == DestructionList.State.PROPOSED and proposal.decided_by is None
    assert retention.carry_out().destroyed == []
    assert all(_stored(h) for h in hashes)

    retention.approve_list(actor=dpo, destruction_list=proposal)
    output = io.StringIO()
    with time_machine.travel(LIST_DAY + dt.timedelta(minutes=1), tick=False):
        call_command("mail", "destroy", stdout=output)
    assert "Destroyed 1 items" in output.getvalue() and "transferred 1" in output.getvalue()

    # The files are gone from storage; the register line and its number remain.
    assert not any(_stored(h) for h in hashes)
    letter.refresh_from_db()
    assert letter.register_number == old_mail["letter"].register_number
    assert (letter.sequence, letter.year, letter.direction) == (1, 2015, Direction.IN)
    assert letter.destroyed_at is not None
    assert letter.correspondent is None and letter.subject == "" and letter.routing_note == ""
    assert not Correspondent.objects.filter(pk=world.citizen.pk).exists()
    for document in letter.documents.all():
        assert document.destroyed_at is not None
        assert document.filename == "" and document.text == ""
        assert document.sha256  # the hash stays as proof of what was destroyed
    # The item to transfer is marked, and whole.
    decision = MailItem.objects.get(pk=old_mail["decision"].pk)
    assert decision.transferred_at is not None and decision.destroyed_at is None
    assert _stored(decision.documents.get().sha256)

    # One event for the destruction, naming the destroyed files by their hashes.
    destroyed = AuditEvent.objects.filter(action="delete", object_type="mail.item").get()
    assert destroyed.object_id == letter.register_number
    assert destroyed.details["approved_by"] == dpo.pk
    assert [d["sha256"] for d in destroyed.details["documents"]] == [d.sha256 for d in files]
    named = {
        h
        for d in destroyed.details["documents"]
        for h in (d["sha256"], d["rendition_sha256"], d["thumbnail_sha256"])
        if h
    }
    assert named == hashes
    proposal.refresh_from_db()
    assert proposal.status == DestructionList.State.CARRIED_OUT
    # The item's earlier events are all still there, and the chain is intact.
    assert AuditEvent.objects.filter(object_id=letter.register_number, action="create").exists()
    assert audit_selectors.verify().ok


def test_the_database_refuses_an_approval_by_the_proposer(world, old_mail):
    with time_machine.travel(LIST_DAY, tick=False):
        proposal = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
    proposal.status = DestructionList.State.APPROVED
    proposal.decided_by = world.auditor
    proposal.decided_at = proposal.proposed_at
    with pytest.raises(IntegrityError), transaction.atomic():
        proposal.save()


def test_an_item_is_on_one_list_and_a_rejected_list_frees_its_items(world, old_mail, dpo):
    with time_machine.travel(LIST_DAY, tick=False):
        first = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
        with pytest.raises(Conflict):
            retention.propose_list(actor=dpo, organisation=world.gemeente)
        retention.reject_list(actor=dpo, destruction_list=first, reason="Lopend geschil")
        second = retention.propose_list(actor=dpo, organisation=world.gemeente)
    assert second.lines.count() == 2
    assert DestructionLine.objects.filter(withdrawn=True).count() == 2
    assert retention.carry_out().destroyed == []  # nothing is approved
    with pytest.raises(IntegrityError), transaction.atomic():
        DestructionLine.objects.create(
            destruction_list=first, item=old_mail["letter"], action=FinalAction.DESTROY
        )


def test_only_retention_officers_propose_and_decide(world, old_mail):
    with time_machine.travel(LIST_DAY, tick=False), pytest.raises(AccessDenied):
        retention.propose_list(actor=world.lead, organisation=world.gemeente)
    assert flush_pending_refusals() == 1
    assert not DestructionList.objects.exists()


def test_the_pages_propose_refuse_the_proposer_and_approve(client, world, old_mail, dpo):
    with time_machine.travel(LIST_DAY, tick=False):
        client.force_login(world.auditor)
        response = client.post(
            reverse("mail:retention-propose"), {"organisation": world.gemeente.pk, "year": 2026}
        )
        proposal = DestructionList.objects.get()
        assert response.status_code == 302 and response["Location"] == proposal.get_absolute_url()
        page = client.get(proposal.get_absolute_url()).content.decode()
        assert old_mail["letter"].register_number in page
        assert "Jan Peeters" not in page and "Kerkstraat" not in page  # no personal data
        approve = reverse("mail:retention-approve", args=[proposal.pk])
        assert f'action="{approve}"' not in page  # not offered to the proposer
        assert client.post(approve).status_code == 403
        client.force_login(dpo)
        assert f'action="{approve}"' in client.get(proposal.get_absolute_url()).content.decode()
        response = client.post(reverse("mail:retention-approve", args=[proposal.pk]))
        assert response.status_code == 302
        client.force_login(world.lead)
        assert client.get(reverse("mail:retention")).status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == DestructionList.State.APPROVED and proposal.decided_by == dpo
    assert AuditEvent.objects.filter(action="permission_denied").count() == 2


def test_an_item_is_taken_off_a_proposed_list_with_a_reason_and_the_rest_is_carried_out(
    world, old_mail, dpo
):
    letter, decision = old_mail["letter"], old_mail["decision"]
    with time_machine.travel(LIST_DAY, tick=False):
        proposal = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
        # No reason: a field error, nothing changed.
        with pytest.raises(DomainError) as error:
            retention.take_off(
                actor=dpo, destruction_list=proposal, item_id=letter.public_id, reason="  "
            )
        assert error.value.fields == {"reason": [str(error.value.message)]}
        # An item that is not on the list: a field error.
        with pytest.raises(DomainError) as error:
            retention.take_off(
                actor=dpo,
                destruction_list=proposal,
                item_id=old_mail["recent"].public_id,
                reason="Lopend geschil",
            )
        assert "item" in error.value.fields
        assert not DestructionLine.objects.filter(withdrawn=True).exists()
        # Someone without mail.retention: refused and recorded.
        with pytest.raises(AccessDenied):
            retention.take_off(
                actor=world.lead,
                destruction_list=proposal,
                item_id=letter.public_id,
                reason="Lopend geschil",
            )
        assert flush_pending_refusals() == 1

        line = retention.take_off(
            actor=dpo, destruction_list=proposal, item_id=letter.public_id, reason="Lopend geschil"
        )
    assert (line.withdrawn, line.withdrawn_by, line.withdrawn_reason) == (
        True,
        dpo,
        "Lopend geschil",
    )
    event = AuditEvent.objects.filter(action="update", object_type="mail.destruction_list").get()
    assert event.object_id == str(proposal.pk) and event.actor_label == "dpo"
    assert event.details == {
        "what": "taken_off",
        "item": letter.register_number,
        "id": str(letter.public_id),
        "reason": "Lopend geschil",
    }
    # Taken off twice: it is no longer on the list.
    with pytest.raises(DomainError):
        retention.take_off(
            actor=dpo, destruction_list=proposal, item_id=letter.public_id, reason="Nog eens"
        )

    # The proposer still cannot approve; a second person does, and only the rest is done.
    retention.approve_list(actor=dpo, destruction_list=proposal)
    with pytest.raises(Conflict):  # an approved list is not changed any more
        retention.take_off(
            actor=dpo, destruction_list=proposal, item_id=decision.public_id, reason="Te laat"
        )
    result = retention.carry_out()
    assert result.destroyed == [] and result.transferred == [decision.register_number]
    letter.refresh_from_db()
    assert letter.destroyed_at is None and letter.subject.startswith("Verhuis")
    assert all(_stored(d.sha256) for d in letter.documents.all())
    proposal.refresh_from_db()
    assert proposal.status == DestructionList.State.CARRIED_OUT
    # Next year the item taken off is due again.
    with time_machine.travel(LIST_DAY.replace(year=2027), tick=False):
        again = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
    assert list(again.lines.values_list("item_id", flat=True)) == [letter.pk]
    assert audit_selectors.verify().ok


def test_the_database_wants_a_reason_for_an_item_taken_off(world, old_mail, dpo):
    with time_machine.travel(LIST_DAY, tick=False):
        proposal = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
    line = proposal.lines.first()
    line.withdrawn, line.withdrawn_by = True, dpo
    with pytest.raises(IntegrityError), transaction.atomic():
        line.save()


@pytest.fixture
def old_ocmw_mail(world: Any) -> MailItem:
    """A closed OCMW item of 2015 whose type is kept 5 years and then destroyed."""
    world.social.retention_years = 5
    world.social.save()
    with time_machine.travel(REGISTERED, tick=False):
        item = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.sociale_dienst,
            document_type=world.social,
            subject="Aanvraag leefloon",
            handler=world.social_worker,
        )
        services.close_item(actor=world.social_worker, item=item)
    return item


def test_the_yearly_proposal_draws_up_each_organisations_list_once(
    world, old_mail, old_ocmw_mail, dpo
):
    output = io.StringIO()
    with time_machine.travel(LIST_DAY, tick=False):
        call_command("mail", "propose", stdout=output)
    made = {d.organisation: d for d in DestructionList.objects.all()}
    assert set(made) == {world.gemeente, world.ocmw}
    assert "Proposed: list" in output.getvalue()
    municipal, ocmw = made[world.gemeente], made[world.ocmw]
    assert municipal.proposed_by is None and municipal.year == 2026
    assert set(municipal.lines.values_list("item_id", flat=True)) == {
        old_mail["letter"].pk,
        old_mail["decision"].pk,
    }
    assert list(ocmw.lines.values_list("item_id", flat=True)) == [old_ocmw_mail.pk]
    events = AuditEvent.objects.filter(action="create", object_type="mail.destruction_list")
    assert events.count() == 2
    assert all(e.actor_type == "system" and e.details["automatic"] for e in events)

    # Again (the worker runs it every hour): nothing new, also after a person rejected one.
    retention.reject_list(actor=dpo, destruction_list=ocmw, reason="Nakijken")
    with time_machine.travel(LIST_DAY + dt.timedelta(hours=1), tick=False):
        assert retention.propose_yearly() == []
    assert DestructionList.objects.count() == 2
    # A person may still propose the rejected organisation's list again.
    with time_machine.travel(LIST_DAY + dt.timedelta(hours=1), tick=False):
        again = retention.propose_list(actor=world.auditor, organisation=world.ocmw)
    assert again.lines.count() == 1

    # The system proposed it: a person approves it, and the list is carried out.
    retention.approve_list(actor=world.auditor, destruction_list=municipal)
    assert retention.carry_out().destroyed == [old_mail["letter"].register_number]


def test_the_list_page_takes_an_item_off(client, world, old_mail, dpo):
    with time_machine.travel(LIST_DAY, tick=False):
        proposal = retention.propose_list(actor=world.auditor, organisation=world.gemeente)
    take_off = reverse("mail:retention-take-off", args=[proposal.pk])
    client.force_login(dpo)
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert f'action="{take_off}"' in page
    response = client.post(
        take_off, {"item": str(old_mail["letter"].public_id), "reason": "Lopend geschil"}
    )
    assert response.status_code == 302
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "taken off by dpo" in page or "van de lijst gehaald door dpo" in page
    line = DestructionLine.objects.get(item=old_mail["letter"])
    assert line.withdrawn and line.withdrawn_reason == "Lopend geschil"
    client.force_login(world.lead)
    response = client.post(take_off, {"item": str(old_mail["decision"].public_id), "reason": "x"})
    assert response.status_code == 403
    assert not DestructionLine.objects.get(item=old_mail["decision"]).withdrawn
    assert AuditEvent.objects.filter(action="permission_denied").count() == 1
