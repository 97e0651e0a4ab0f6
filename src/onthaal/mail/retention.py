"""Retention of the mail register: the yearly destruction list, its approval by a second
person, and carrying it out.

Each document type has a retention period in years and a final action (destroy, or transfer
to the archive). The retention period runs from the end of the year the item was registered
in: an item of 2015 kept 10 years is due on the list of 2026. Open items are never due.

1. ``propose_list``: a person who holds ``mail.retention`` asks for the list of an
   organisation and a year; the system draws it up (every due item of that organisation
   that is not on another list, with its type's final action). ``propose_yearly`` (the
   worker, once an hour from 1 January, and ``onthaal mail propose``) does it by itself for
   each organisation that has due items and no list of the year yet; the system is then the
   proposer. One list per organisation and year that is not rejected (a database
   constraint).
2. ``take_off``: while the list is proposed, a person who holds ``mail.retention`` takes an
   item off it, with a reason (an event naming the item); the item may go on a later list.
3. ``approve_list`` / ``reject_list``: a second person who holds ``mail.retention`` decides.
   The proposer cannot: the try is refused and recorded, and the database refuses it too
   (``mail_destruction_second_person``).
4. ``carry_out``: the worker (every minute) or ``onthaal mail destroy`` carries out approved
   lists. Destroying an item removes its files from storage and clears its personal fields
   (the correspondent, the subject when the type says it may name a person, the note for
   the handler, the documents' names and text, the addressee and text of its messages); the
   register line stays with its number, dates, type, department and status. One event per
   item names the destroyed files by their SHA-256. Transferring marks the item transferred
   and keeps it whole (``mail/archive.py`` makes the package for the archive). Nothing in the
   audit log is deleted.

Every read of a list is an audit event naming its items, like every read of the register.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, ExpressionWrapper, F, IntegerField, Q, QuerySet
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, Conflict, DomainError, NotFound
from onthaal.mail import documents, search
from onthaal.mail.models import (
    OPEN_STATUSES,
    Correspondent,
    DestructionLine,
    DestructionList,
    Document,
    FinalAction,
    MailItem,
    OutgoingMessage,
)
from onthaal.organisation.models import Organisation

log = logging.getLogger(__name__)

LIST_TYPE = "mail.destruction_list"
ITEM_TYPE = "mail.item"
CAPABILITY = "mail.retention"
SYSTEM = "system:retention"


def due_items(year: int) -> QuerySet[MailItem]:
    """The items whose retention period ended before ``year`` began, not destroyed or
    transferred yet, closed or answered, and not on a list that was not rejected."""
    on_a_list = DestructionLine.objects.filter(withdrawn=False).values("item_id")
    return (
        MailItem.objects.filter(destroyed_at__isnull=True, transferred_at__isnull=True)
        .exclude(status__in=OPEN_STATUSES)
        .exclude(pk__in=on_a_list)
        .annotate(
            kept_until=ExpressionWrapper(
                F("year") + F("document_type__retention_years"), output_field=IntegerField()
            )
        )
        .filter(kept_until__lt=year)
    )


def _require(actor: Any, object_id: Any = "") -> None:
    access.require(actor, CAPABILITY, object_type=LIST_TYPE, object_id=str(object_id or ""))


def propose_list(
    *, actor: Any, organisation: Organisation, year: int | None = None
) -> DestructionList:
    """Draw up the destruction list of ``organisation`` for ``year`` (this year by default),
    proposed by ``actor``."""
    _require(actor)
    year = year or clock.today().year
    if not 2000 <= year <= clock.today().year:
        message = _("Choose this year or an earlier one.")
        raise DomainError(message, fields={"year": [message]})
    exists = Conflict(
        _("There is already a destruction list of %(organisation)s for %(year)d.")
        % {"organisation": organisation.name, "year": year},
        code="list_exists",
    )
    # The check gives the clear message; the unique constraint decides when two people (or
    # a person and the worker) draw the list up at the same moment.
    try:
        with transaction.atomic():
            if (
                DestructionList.objects.filter(organisation=organisation, year=year)
                .exclude(status="rejected")
                .exists()
            ):
                raise exists
            proposal = _draw_up(actor, organisation, year)
    except IntegrityError:
        raise exists from None
    if proposal is None:
        raise Conflict(
            _("No item of %(organisation)s has a retention period that ended before %(year)d.")
            % {"organisation": organisation.name, "year": year},
            code="nothing_due",
        )
    return proposal


def _draw_up(actor: Any, organisation: Organisation, year: int) -> DestructionList | None:
    """The list of ``organisation``'s items due in ``year`` (None: nothing is due), with its
    ``create`` event; ``actor`` is a person, or ``SYSTEM`` for the yearly proposal."""
    due = list(
        due_items(year)
        .filter(organisation=organisation)
        .select_related("document_type")
        .order_by("direction", "year", "sequence")
    )
    if not due:
        return None
    person = actor if actor != SYSTEM else None
    proposal = DestructionList.objects.create(
        organisation=organisation, year=year, proposed_by=person, proposed_at=clock.now()
    )
    DestructionLine.objects.bulk_create(
        DestructionLine(
            destruction_list=proposal, item=item, action=item.document_type.final_action
        )
        for item in due
    )
    record_event(
        action=Action.CREATE,
        actor=actor,
        object_type=LIST_TYPE,
        object_id=proposal.pk,
        details={
            "year": year,
            "organisation": organisation.pk,
            "automatic": person is None,
            "destroy": [
                i.register_number
                for i in due
                if i.document_type.final_action == FinalAction.DESTROY
            ],
            "transfer": [
                i.register_number
                for i in due
                if i.document_type.final_action == FinalAction.TRANSFER
            ],
        },
    )
    return proposal


def propose_yearly(*, year: int | None = None) -> list[DestructionList]:
    """The yearly proposal: for each organisation with due items and no list of ``year``
    (this year by default) at all — so a list a person rejected is not proposed again — the
    system draws up the list, for a person who holds ``mail.retention`` to approve or reject.
    Safe to run often and from several workers at once (the list's unique constraint)."""
    year = year or clock.today().year
    made = []
    for organisation in Organisation.objects.exclude(
        pk__in=DestructionList.objects.filter(year=year, organisation__isnull=False).values(
            "organisation_id"
        )
    ).order_by("pk"):
        try:
            with transaction.atomic():
                proposal = _draw_up(SYSTEM, organisation, year)
        except IntegrityError:  # another worker drew it up at the same moment
            continue
        if proposal is not None:
            made.append(proposal)
    return made


def take_off(
    *, actor: Any, destruction_list: DestructionList, item_id: Any, reason: str
) -> DestructionLine:
    """Take one item off a proposed list, with a reason: it is not destroyed or transferred
    with this list and may go on a later one. One ``update`` event on the list naming the
    item, the reason and who took it off."""
    _require(actor, destruction_list.pk)
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for taking the item off the list.")
        raise DomainError(message, fields={"reason": [message]})
    with transaction.atomic():
        locked = DestructionList.objects.select_for_update().get(pk=destruction_list.pk)
        if locked.status != DestructionList.State.PROPOSED:
            raise Conflict(
                _("This list was already %(status)s.") % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        parsed = _parse_uuid(item_id)
        line = (
            locked.lines.select_for_update()
            .select_related("item")
            .filter(item__public_id=parsed, withdrawn=False)
            .first()
            if parsed is not None
            else None
        )
        if line is None:
            message = _("This item is not on the list.")
            raise DomainError(message, fields={"item": [message]})
        line.withdrawn = True
        line.withdrawn_by = actor
        line.withdrawn_at = clock.now()
        line.withdrawn_reason = reason[:300]
        line.save(update_fields=["withdrawn", "withdrawn_by", "withdrawn_at", "withdrawn_reason"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type=LIST_TYPE,
            object_id=locked.pk,
            department=line.item.department,
            details={
                "what": "taken_off",
                "item": line.item.register_number,
                "id": str(line.item.public_id),
                "reason": line.withdrawn_reason,
            },
        )
    return line


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _decide(
    actor: Any, destruction_list: DestructionList, decision: str, reason: str
) -> DestructionList:
    _require(actor, destruction_list.pk)
    if destruction_list.proposed_by_id == getattr(actor, "pk", None):
        record_refusal(
            actor=actor,
            capability=CAPABILITY,
            object_type=LIST_TYPE,
            object_id=str(destruction_list.pk),
            details={"what": decision, "reason": "proposer cannot decide"},
        )
        raise AccessDenied(
            _("A second person must approve or reject the list, not the one who proposed it."),
            code="second_person_required",
        )
    with transaction.atomic():
        locked = DestructionList.objects.select_for_update().get(pk=destruction_list.pk)
        if locked.status != DestructionList.State.PROPOSED:
            raise Conflict(
                _("This list was already %(status)s.") % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        before = locked.status
        locked.status = decision
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.reason = reason.strip()[:300]
        locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        if decision == DestructionList.State.REJECTED:
            locked.lines.update(withdrawn=True)
        record_event(
            action=Action.TRANSITION,
            actor=actor,
            object_type=LIST_TYPE,
            object_id=locked.pk,
            details={
                "from": before,
                "to": decision,
                "year": locked.year,
                "proposed_by": locked.proposed_by_id,
                "reason": locked.reason,
            },
        )
    return locked


def approve_list(*, actor: Any, destruction_list: DestructionList) -> DestructionList:
    """A second person approves the list: the worker carries it out."""
    return _decide(actor, destruction_list, DestructionList.State.APPROVED, "")


def reject_list(*, actor: Any, destruction_list: DestructionList, reason: str) -> DestructionList:
    """A second person rejects the list, with a reason; its items may go on a new list."""
    if not reason.strip():
        message = _("Give the reason for rejecting the list.")
        raise DomainError(message, fields={"reason": [message]})
    return _decide(actor, destruction_list, DestructionList.State.REJECTED, reason)


@dataclass
class Result:
    destroyed: list[str] = field(default_factory=list)
    transferred: list[str] = field(default_factory=list)
    files_removed: int = 0
    lists_done: list[int] = field(default_factory=list)


def carry_out(*, actor: Any = SYSTEM) -> Result:
    """Carry out every approved list, one item per transaction (a failure leaves the items
    done so far done, and the next run goes on with the rest). The files of a destroyed item
    are removed after its transaction committed: a rollback never leaves a register line
    pointing at removed bytes."""
    result = Result()
    for destruction_list in DestructionList.objects.filter(status=DestructionList.State.APPROVED):
        lines = destruction_list.lines.filter(done_at__isnull=True, withdrawn=False)
        for line in lines.select_related("item").order_by("pk"):
            hashes = _carry_out_line(actor, destruction_list, line)
            if line.action == FinalAction.DESTROY:
                result.destroyed.append(line.item.register_number)
            else:
                result.transferred.append(line.item.register_number)
            result.files_removed += sum(documents.remove(h) for h in hashes)
        with transaction.atomic():
            locked = DestructionList.objects.select_for_update().get(pk=destruction_list.pk)
            if (
                locked.status != DestructionList.State.APPROVED
                or locked.lines.filter(done_at__isnull=True, withdrawn=False).exists()
            ):
                continue
            locked.status = DestructionList.State.CARRIED_OUT
            locked.carried_out_at = clock.now()
            locked.save(update_fields=["status", "carried_out_at"])
            record_event(
                action=Action.TRANSITION,
                actor=actor,
                object_type=LIST_TYPE,
                object_id=locked.pk,
                details={"from": "approved", "to": "carried_out", "year": locked.year},
            )
            result.lists_done.append(locked.pk)
    return result


def _carry_out_line(
    actor: Any, destruction_list: DestructionList, line: DestructionLine
) -> list[str]:
    """Destroy or transfer one item; the hashes of the files to remove after commit."""
    with transaction.atomic():
        item = (
            MailItem.objects.select_for_update()
            .select_related("department", "document_type")
            .get(pk=line.item_id)
        )
        now = clock.now()
        files = list(item.documents.filter(destroyed_at__isnull=True).order_by("position"))
        described = [
            {
                "n": d.position,
                "sha256": d.sha256,
                "rendition_sha256": d.rendition_sha256,
                "thumbnail_sha256": d.thumbnail_sha256,
                "size": d.size,
            }
            for d in files
        ]
        if line.action == FinalAction.TRANSFER:
            item.transferred_at = now
            item.save(update_fields=["transferred_at"])
            hashes: list[str] = []
            details: dict[str, Any] = {"transferred": True, "documents": described}
        else:
            cleared = _clear_personal_fields(item, files, now)
            hashes = sorted(
                {h for d in files for h in (d.sha256, d.rendition_sha256, d.thumbnail_sha256) if h}
            )
            details = {"destroyed": True, "documents": described, "cleared": cleared}
        line.done_at = now
        line.save(update_fields=["done_at"])
        record_event(
            action=Action.DELETE if line.action == FinalAction.DESTROY else Action.UPDATE,
            actor=actor,
            object_type=ITEM_TYPE,
            object_id=item.register_number,
            department=item.department,
            details={
                "id": str(item.public_id),
                "destruction_list": destruction_list.pk,
                "approved_by": destruction_list.decided_by_id,
                **details,
            },
        )
    return hashes


def _clear_personal_fields(item: MailItem, files: list[Document], now: dt.datetime) -> list[str]:
    """Clear what may name a person, keep the register line; the names of the cleared
    fields."""
    cleared = []
    correspondent_id = item.correspondent_id
    if correspondent_id is not None:
        item.correspondent = None
        cleared.append("correspondent")
    if item.subject and item.document_type.subject_personal:
        item.subject = ""
        cleared.append("subject")
    if item.routing_note:
        item.routing_note = ""
        cleared.append("routing_note")
    item.destroyed_at = now
    item.save(update_fields=["correspondent", "subject", "routing_note", "destroyed_at"])
    Document.objects.filter(pk__in=[d.pk for d in files]).update(
        filename="", text="", text_error="", destroyed_at=now
    )
    if files:
        cleared.append("documents")
    if OutgoingMessage.objects.filter(item=item).update(recipient="", subject="", body=""):
        cleared.append("messages")
    if correspondent_id is not None:
        # A correspondent that no other item names any more is removed as a whole.
        gone, _rows = Correspondent.objects.filter(pk=correspondent_id, items__isnull=True).delete()
        if gone:
            cleared.append("correspondent_record")
    search.reindex(item.pk)
    return cleared


def not_found(actor: Any, pk: Any, what: str) -> NotFound:
    """A list that does not exist: the try is recorded."""
    record_refusal(
        actor=actor,
        object_type=LIST_TYPE,
        object_id=str(pk)[:100],
        details={"what": what, "reason": "not found"},
    )
    return NotFound(_("No such destruction list."))


# --- reads -------------------------------------------------------------------------------


def lists(actor: Any) -> Sequence[DestructionList]:
    """The destruction lists with their line counts (one ``view`` event naming them)."""
    _require(actor)
    found = list(
        DestructionList.objects.select_related(
            "organisation", "proposed_by", "decided_by"
        ).annotate(
            destroy=Count(
                "lines",
                filter=Q(lines__action=FinalAction.DESTROY, lines__withdrawn_by__isnull=True),
            ),
            transfer=Count(
                "lines",
                filter=Q(lines__action=FinalAction.TRANSFER, lines__withdrawn_by__isnull=True),
            ),
            taken_off=Count("lines", filter=Q(lines__withdrawn_by__isnull=False)),
        )
    )
    record_event(
        action=Action.VIEW,
        actor=actor,
        object_type=LIST_TYPE,
        details={"what": "lists", "lists": [d.pk for d in found]},
    )
    return found


def get_list(actor: Any, pk: Any) -> tuple[DestructionList, list[DestructionLine]]:
    """A list and its lines (one ``view`` event naming the list and every item on it). The
    lines show the register line only: number, dates, type, department; no subject and no
    correspondent."""
    _require(actor, pk)
    number = int(pk) if str(pk).isdigit() and len(str(pk)) < 12 else 0
    found = (
        DestructionList.objects.select_related("organisation", "proposed_by", "decided_by")
        .filter(pk=number)
        .first()
    )
    if found is None:
        raise not_found(actor, pk, "list")
    lines = list(
        found.lines.select_related(
            "item__department", "item__document_type", "withdrawn_by"
        ).order_by("item__organisation_id", "item__direction", "item__year", "item__sequence")
    )
    record_event(
        action=Action.VIEW,
        actor=actor,
        object_type=LIST_TYPE,
        object_id=found.pk,
        details={
            "what": "list",
            "items": [line.item.register_number for line in lines],
            "ids": [str(line.item.public_id) for line in lines],
        },
    )
    return found, lines
