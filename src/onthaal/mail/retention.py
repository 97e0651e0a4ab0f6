"""Retention of the mail register: the yearly destruction list, its approval by a second
person, and carrying it out.

Each document type has a retention period in years and a final action (destroy, or transfer
to the archive). The retention period runs from the end of the year the item was registered
in: an item of 2015 kept 10 years is due on the list of 2026. Open items are never due.

1. ``propose_list``: a person who holds ``mail.retention`` asks for the list of a year; the
   system draws it up (every due item that is not on another list, with its type's final
   action). One list per year that is not rejected (a database constraint).
2. ``approve_list`` / ``reject_list``: a second person who holds ``mail.retention`` decides.
   The proposer cannot: the try is refused and recorded, and the database refuses it too
   (``mail_destruction_second_person``).
3. ``carry_out``: the worker (every minute) or ``onthaal mail destroy`` carries out approved
   lists. Destroying an item removes its files from storage and clears its personal fields
   (the correspondent, the subject when the type says it may name a person, the note for
   the handler, the documents' names and text, the addressee and text of its messages); the
   register line stays with its number, dates, type, department and status. One event per
   item names the destroyed files by their SHA-256. Transferring marks the item transferred
   and keeps it whole. Nothing in the audit log is deleted.

Every read of a list is an audit event naming its items, like every read of the register.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
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

log = logging.getLogger(__name__)

LIST_TYPE = "mail.destruction_list"
ITEM_TYPE = "mail.item"
CAPABILITY = "mail.retention"


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


def propose_list(*, actor: Any, year: int | None = None) -> DestructionList:
    """Draw up the destruction list of ``year`` (this year by default), proposed by
    ``actor``."""
    _require(actor)
    year = year or clock.today().year
    if not 2000 <= year <= clock.today().year:
        message = _("Choose this year or an earlier one.")
        raise DomainError(message, fields={"year": [message]})
    with transaction.atomic():
        if DestructionList.objects.filter(year=year).exclude(status="rejected").exists():
            raise Conflict(
                _("There is already a destruction list for %(year)d.") % {"year": year},
                code="list_exists",
            )
        due = list(
            due_items(year)
            .select_related("document_type")
            .order_by("organisation_id", "direction", "year", "sequence")
        )
        if not due:
            raise Conflict(
                _("No item's retention period ended before %(year)d.") % {"year": year},
                code="nothing_due",
            )
        proposal = DestructionList.objects.create(
            year=year, proposed_by=actor, proposed_at=clock.now()
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


def carry_out(*, actor: Any = "system:retention") -> Result:
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
        DestructionList.objects.select_related("proposed_by", "decided_by").annotate(
            destroy=Count("lines", filter=Q(lines__action=FinalAction.DESTROY)),
            transfer=Count("lines", filter=Q(lines__action=FinalAction.TRANSFER)),
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
        DestructionList.objects.select_related("proposed_by", "decided_by")
        .filter(pk=number)
        .first()
    )
    if found is None:
        raise not_found(actor, pk, "list")
    lines = list(
        found.lines.select_related("item__department", "item__document_type").order_by(
            "item__organisation_id", "item__direction", "item__year", "item__sequence"
        )
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
