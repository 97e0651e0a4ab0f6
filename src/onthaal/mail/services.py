"""Writes of the mail register: registering an item (with its register number), routing it,
its state changes, and temporary access for a colleague.

Each function is one transaction with its audit event in it. Lock order: the register
counter's row, then mail item rows (by primary key), then the audit chain (``record_event``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.mail.models import (
    TRANSITIONS,
    AccessGrant,
    Channel,
    Correspondent,
    Direction,
    DocumentType,
    MailItem,
    RegisterCounter,
    Status,
    register_number,
)
from onthaal.organisation.models import Department

OBJECT_TYPE = "mail.item"
MAX_GRANT_DAYS = 90


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: its name as the sender gave it, and its bytes."""

    filename: str
    data: bytes


def next_number(*, organisation_id: int, direction: str, year: int) -> int:
    """Take the next register number of ``organisation_id``/``direction``/``year``, in the
    caller's transaction.

    The counter row is incremented with one UPDATE, which locks it until the transaction ends:
    a concurrent registration waits for this one to commit (then reads the new value) or roll
    back (then reuses the number). Never max(sequence) + 1, which two transactions read alike.
    The first registration of a year creates the row (INSERT ... ON CONFLICT DO NOTHING: two
    first registrations at once create one row) and increments it like any other."""
    counter = RegisterCounter.objects.filter(
        organisation_id=organisation_id, direction=direction, year=year
    )
    if not counter.update(last=F("last") + 1):
        RegisterCounter.objects.bulk_create(
            [RegisterCounter(organisation_id=organisation_id, direction=direction, year=year)],
            ignore_conflicts=True,
        )
        counter.update(last=F("last") + 1)
    return counter.values_list("last", flat=True).get()


def _due_date(document_type: DocumentType, direction: str, received_on: dt.date) -> dt.date | None:
    if direction != Direction.IN or document_type.answer_days is None:
        return None
    return received_on + dt.timedelta(days=document_type.answer_days)


def _check_handler(handler: Any, department: Department) -> None:
    if handler is not None and not access.can(handler, "mail.handle", department):
        message = _("This colleague cannot handle mail of %(department)s.") % {
            "department": department.name
        }
        raise DomainError(message, fields={"handler": [message]})


def register_item(
    *,
    actor: Any,
    direction: str,
    department: Department,
    document_type: DocumentType,
    channel: str = Channel.POST,
    subject: str = "",
    correspondent: Correspondent | None = None,
    received_on: dt.date | None = None,
    sent_on: dt.date | None = None,
    handler: Any = None,
    note: str = "",
    answers: MailItem | None = None,
    ticket: Any = None,
    appointment: Any = None,
    files: Sequence[Upload] = (),
    idempotency_key: str | None = None,
) -> MailItem:
    """Register a mail item: its register number, the item, its documents and the audit event,
    in one transaction. A registration that fails at any point leaves nothing: no item, no
    file reference, no number used (the next registration gets it).

    Incoming mail may be registered by whoever holds ``mail.register`` (the mail clerk opens
    the post of the whole administration, a confidential department's too); outgoing mail by a
    handler of the department. ``idempotency_key``: the same key from the same person returns
    the item registered the first time (a double click registers once)."""
    from onthaal.mail import documents, search

    if direction not in Direction.values:
        raise DomainError(_("Unknown direction."), fields={"direction": [_("Unknown direction.")]})
    if channel not in Channel.values:
        raise DomainError(_("Unknown channel."), fields={"channel": [_("Unknown channel.")]})
    # A component of Onthaal itself (the IMAP intake: "system:imap") registers incoming mail
    # without a person's role; every request comes with a person, whose role is checked.
    system = isinstance(actor, str) and actor.startswith("system:")
    if not (system and direction == Direction.IN):
        access.require(
            actor,
            "mail.register" if direction == Direction.IN else "mail.handle",
            None if direction == Direction.IN else department,
            object_type=OBJECT_TYPE,
        )
    if idempotency_key:
        earlier = MailItem.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.registered_by_id != getattr(actor, "pk", None):
                raise Conflict(_("This key was already used."), code="idempotency_key_used")
            return earlier
    _check_handler(handler, department)
    if answers is not None and direction != Direction.OUT:
        message = _("Only an outgoing item answers another.")
        raise DomainError(message, fields={"answers": [message]})
    checked = [documents.check_upload(upload) for upload in files]
    now = clock.now()
    today = now.astimezone(clock.BRUSSELS).date()
    if direction == Direction.IN:
        received_on = received_on or today
        if received_on > today:
            message = _("The date of receipt cannot lie in the future.")
            raise DomainError(message, fields={"received_on": [message]})
    else:
        sent_on = sent_on or today
    try:
        with transaction.atomic():
            organisation_id = department.organisation_id
            sequence = next_number(
                organisation_id=organisation_id, direction=direction, year=today.year
            )
            number = register_number(direction, today.year, sequence)
            item = MailItem.objects.create(
                organisation_id=organisation_id,
                direction=direction,
                year=today.year,
                sequence=sequence,
                register_number=number,
                channel=channel,
                received_on=received_on if direction == Direction.IN else None,
                sent_on=sent_on if direction == Direction.OUT else None,
                correspondent=correspondent,
                subject=subject.strip()[:300],
                document_type=document_type,
                department=department,
                handler=handler,
                routing_note=note.strip()[:500] if handler is not None else "",
                status=Status.ASSIGNED if handler is not None else Status.REGISTERED,
                due_date=_due_date(document_type, direction, received_on or today),
                confidential=department.confidential or document_type.restricted,
                answers=answers,
                ticket=ticket,
                appointment=appointment,
                registered_by=actor if getattr(actor, "is_authenticated", False) else None,
                registered_at=now,
                idempotency_key=idempotency_key or None,
            )
            stored = documents.add_documents(item, checked, now=now)
            search.reindex(item.pk)
            record_event(
                action=Action.CREATE,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=number,
                department=department,
                details={
                    "id": str(item.public_id),
                    "direction": direction,
                    "channel": channel,
                    "document_type": document_type.pk,
                    "handler": handler.pk if handler is not None else None,
                    "answers": answers.register_number if answers is not None else None,
                    "documents": [{"n": d.position, "sha256": d.sha256} for d in stored],
                },
            )
    except IntegrityError:
        # The same key at the same instant: the other request registered the item.
        earlier = MailItem.objects.filter(idempotency_key=idempotency_key).first()
        if not idempotency_key or earlier is None:
            raise
        if earlier.registered_by_id != getattr(actor, "pk", None):
            raise Conflict(_("This key was already used."), code="idempotency_key_used") from None
        return earlier
    if stored:
        transaction.on_commit(lambda: documents.schedule_processing(item))
    return item


def _locked(item: MailItem) -> MailItem:
    return MailItem.objects.select_for_update().select_related("department").get(pk=item.pk)


def _transition(
    item: MailItem, action: str, actor: Any, details: dict[str, Any], **changes: Any
) -> MailItem:
    """Apply ``action`` to the locked ``item`` and record the transition, in the caller's
    transaction."""
    allowed_from, to = TRANSITIONS[action]
    if item.status not in allowed_from:
        raise Conflict(
            _("This is not possible while the item is %(status)s.")
            % {"status": item.get_status_display()},
            code="invalid_transition",
        )
    before = item.status
    for name, value in {**changes, "status": to}.items():
        setattr(item, name, value)
    item.save(update_fields=[*changes, "status"])
    record_event(
        action=Action.TRANSITION,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=item.register_number,
        department=item.department,
        details={"transition": action, "from": before, "to": to, **details},
    )
    return item


def _may_route(actor: Any, item: MailItem) -> bool:
    """The mail clerk or a team lead of the department, or the item's own handler passing it
    on."""
    if access.can(actor, "mail.assign", item.department):
        return True
    return item.handler_id == getattr(actor, "pk", None) and access.can(
        actor, "mail.handle", item.department
    )


def assign_item(*, actor: Any, item: MailItem, handler: Any, note: str = "") -> MailItem:
    """Give ``item`` to ``handler`` (a first assignment or a reassignment with a note)."""
    with transaction.atomic():
        locked = _locked(item)
        if not _may_route(actor, locked):
            access.require(
                actor,
                "mail.assign",
                locked.department,
                object_type=OBJECT_TYPE,
                object_id=locked.register_number,
            )
        _check_handler(handler, locked.department)
        previous = locked.handler_id
        return _transition(
            locked,
            "assign",
            actor,
            {"handler": handler.pk, "previous_handler": previous, "note": bool(note.strip())},
            handler=handler,
            routing_note=note.strip()[:500],
        )


def bulk_assign(*, actor: Any, items: Sequence[MailItem], handler: Any, note: str = "") -> int:
    """Assign several items at once, all or none (rows locked in primary-key order)."""
    with transaction.atomic():
        for item in sorted(items, key=lambda i: i.pk):
            assign_item(actor=actor, item=item, handler=handler, note=note)
    return len(items)


def _require_handler(actor: Any, item: MailItem) -> None:
    """The item's handler, or whoever may route the department's mail (a team lead)."""
    own = item.handler_id == getattr(actor, "pk", None)
    if own and access.can(actor, "mail.handle", item.department):
        return
    access.require(
        actor,
        "mail.assign",
        item.department,
        object_type=OBJECT_TYPE,
        object_id=item.register_number,
    )


def start_item(*, actor: Any, item: MailItem) -> MailItem:
    """The handler starts working on the item."""
    with transaction.atomic():
        locked = _locked(item)
        _require_handler(actor, locked)
        return _transition(locked, "start", actor, {})


def close_item(*, actor: Any, item: MailItem, reason: str = "") -> MailItem:
    """Close the item (answered, or no answer needed)."""
    with transaction.atomic():
        locked = _locked(item)
        if locked.status == Status.REGISTERED:
            access.require(
                actor,
                "mail.assign",
                locked.department,
                object_type=OBJECT_TYPE,
                object_id=locked.register_number,
            )
        else:
            _require_handler(actor, locked)
        return _transition(locked, "close", actor, {"reason": reason.strip()[:200]})


def grant_access(
    *, actor: Any, item: MailItem, grantee: Any, reason: str, days: int = 7
) -> AccessGrant:
    """The handler (or a team lead of the department) lets a named colleague see ``item`` for
    ``days`` days, for ``reason``."""
    reason = reason.strip()
    if not reason:
        message = _("Give the reason for this access.")
        raise DomainError(message, fields={"reason": [message]})
    if not 1 <= days <= MAX_GRANT_DAYS:
        message = _("Access can be granted for 1 to %(max)d days.") % {"max": MAX_GRANT_DAYS}
        raise DomainError(message, fields={"days": [message]})
    if not isinstance(grantee, get_user_model()) or not grantee.is_active:
        message = _("Unknown colleague.")
        raise DomainError(message, fields={"grantee": [message]})
    with transaction.atomic():
        locked = _locked(item)
        _require_handler(actor, locked)
        now = clock.now()
        grant = AccessGrant.objects.create(
            item=locked,
            grantee=grantee,
            granted_by=actor,
            reason=reason[:300],
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=locked.register_number,
            department=locked.department,
            details={
                "grant": grant.pk,
                "grantee": grantee.pk,
                "grantee_name": grantee.get_username(),
                "reason": grant.reason,
                "expires_at": grant.expires_at.isoformat(),
            },
        )
    return grant


def revoke_access(*, actor: Any, grant: AccessGrant) -> AccessGrant:
    with transaction.atomic():
        locked = _locked(grant.item)
        _require_handler(actor, locked)
        grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is None:
            grant.revoked_at = clock.now()
            grant.save(update_fields=["revoked_at"])
            record_event(
                action=Action.UPDATE,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=locked.register_number,
                department=locked.department,
                details={"grant": grant.pk, "revoked": True},
            )
    return grant


def find_or_create_correspondent(
    *,
    actor: Any,
    name: str,
    kind: str = Correspondent.Kind.CITIZEN,
    email: str = "",
    **address: str,
) -> Correspondent:
    """The correspondent with this name and e-mail, or a new one (reused across items)."""
    name = " ".join(name.split())[:200]
    if not name:
        message = _("Give the name of the sender or addressee.")
        raise DomainError(message, fields={"correspondent": [message]})
    if kind not in Correspondent.Kind.values:
        kind = Correspondent.Kind.CITIZEN
    with transaction.atomic():
        found = Correspondent.objects.filter(name__iexact=name, email__iexact=email).first()
        if found is not None:
            return found
        correspondent = Correspondent.objects.create(
            name=name,
            kind=kind,
            email=email,
            street=address.get("street", "")[:200],
            postal_code=address.get("postal_code", "")[:10],
            city=address.get("city", "")[:100],
            created_at=clock.now(),
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="mail.correspondent",
            object_id=correspondent.pk,
        )
    return correspondent


class AnswerKind:
    LETTER = "letter"
    EMAIL = "email"
    UPLOAD = "upload"
    ALL = ("letter", "email", "upload")


def answer_item(
    *,
    actor: Any,
    item: MailItem,
    kind: str,
    subject: str = "",
    body: str = "",
    files: Sequence[Upload] = (),
    email_to: str = "",
    idempotency_key: str | None = None,
) -> MailItem:
    """The handler answers incoming ``item``: an outgoing item is registered that answers it —
    a letter made from the template (with the new register number on it), an e-mail sent
    through the outbox with the documents attached, or a document the handler uploads — and
    ``item`` becomes answered. One transaction: no answer without its number, no number
    without its answer.

    Lock order: ``item``'s row, then the register counter, then the audit chain (a letter is
    printed while the counter is held: its number is on it)."""
    from onthaal.mail import documents, letters, outbox

    errors: dict[str, list[str]] = {}
    if kind not in AnswerKind.ALL:
        errors["kind"] = [_("Choose a letter, an e-mail or a document.")]
    subject = subject.strip()
    if not subject:
        errors["subject"] = [_("Give the subject of the answer.")]
    if kind in (AnswerKind.LETTER, AnswerKind.EMAIL) and not body.strip():
        errors["body"] = [_("Write the text of the answer.")]
    if kind == AnswerKind.UPLOAD and not files:
        errors["files"] = [_("Add the document of the answer.")]
    if errors:
        raise DomainError(_("The answer has errors; see the fields."), fields=errors)
    with transaction.atomic():
        locked = _locked(item)
        _require_handler(actor, locked)
        if locked.direction != Direction.IN or locked.status not in TRANSITIONS["answer"][0]:
            raise Conflict(
                _("This is not possible while the item is %(status)s.")
                % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        recipient = ""
        if kind == AnswerKind.EMAIL:
            recipient = email_to or (locked.correspondent and locked.correspondent.email) or ""
            recipient = recipient.strip()
            from django.core.exceptions import ValidationError
            from django.core.validators import validate_email

            try:
                validate_email(recipient)
            except ValidationError:
                message = _("Give the e-mail address to answer to.")
                raise DomainError(message, fields={"email_to": [message]}) from None
        answer = register_item(
            actor=actor,
            direction=Direction.OUT,
            department=locked.department,
            document_type=locked.document_type,
            channel=Channel.EMAIL if kind == AnswerKind.EMAIL else Channel.POST,
            subject=subject,
            correspondent=locked.correspondent,
            answers=locked,
            files=files,
            idempotency_key=idempotency_key,
        )
        if kind == AnswerKind.LETTER:
            pdf = letters.render(item=answer, answers=locked, body=body)
            checked = documents.check_upload(Upload(f"{answer.register_number}.pdf", pdf))
            stored = documents.add_documents(answer, [checked], now=clock.now())
            record_event(
                action=Action.UPDATE,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=answer.register_number,
                department=answer.department,
                details={
                    "letter": True,
                    "documents": [{"n": d.position, "sha256": d.sha256} for d in stored],
                },
            )
            transaction.on_commit(lambda: documents.schedule_processing(answer))
        elif kind == AnswerKind.EMAIL:
            outbox.queue_answer(answer, recipient=recipient, subject=subject, body=body)
        _transition(locked, "answer", actor, {"answer": answer.register_number, "kind": kind})
        if answer.status == Status.REGISTERED:
            _transition(answer, "close", actor, {"reason": "sent"})
    return answer
