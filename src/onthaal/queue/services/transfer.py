"""Handing a visitor over to another queue, a desk or a named staff member, keeping the
number, with an optional note for the receiving department only."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation.models import Desk
from onthaal.queue.models import DeskSession, HandoffNote, Queue, Status, Ticket
from onthaal.queue.services.desks import require_at_desk, require_ticket
from onthaal.queue.services.shared import apply, live, record


def transfer(
    *,
    ticket: Ticket,
    actor: Any,
    queue: Queue | None = None,
    to_desk: Desk | None = None,
    to_user: Any = None,
    note: str = "",
    from_desk: Desk | None = None,
    capability: str = "queue.issue",
) -> Ticket:
    """Hand the visitor over to a queue, a desk or a named staff member, keeping the number.

    From ``from_desk``: by whoever serves the ticket there. Without a desk: a waiting ticket,
    by someone with ``capability`` (reception's ``queue.issue``, a lead's ``queue.lead``) in
    the ticket's own department. A note goes only to the receiving department. Refused when the receiving desk
    is closed or does not serve the receiving department. Handed to a colleague alone, the
    ticket goes to the queue of their department here.
    """
    if from_desk is not None:
        require_at_desk(actor, ticket, from_desk)
    else:
        require_ticket(actor, capability, ticket)
        if ticket.status != Status.WAITING:
            # Reception and leads move the waiting room; a visitor at a desk is handed over by
            # whoever serves them there.
            raise Conflict(
                _("Ticket %(code)s is at a desk; only that desk can hand it over.")
                % {"code": ticket.code},
                code="at_desk",
            )
    target_queue = queue or ticket.queue
    if queue is None and to_desk is None and to_user is not None:
        # To a colleague: into the queue of their department at this location.
        departments = {m.department_id for m in access.memberships(to_user) if m.department_id}
        theirs = (
            Queue.objects.filter(
                location_id=ticket.location_id, active=True, department_id__in=departments
            )
            .select_related("department")
            .order_by("pk")
            .first()
        )
        target_queue = theirs or target_queue
    errors: dict[str, list[str]] = {}
    if queue is None and to_desk is None and to_user is None:
        errors["queue"] = [_("Choose a queue, a desk or a staff member.")]
    if target_queue.location_id != ticket.location_id or not target_queue.active:
        errors["queue"] = [_("This queue does not exist at this location.")]
    if to_desk is not None:
        open_session = DeskSession.objects.filter(
            desk=to_desk, state=DeskSession.State.OPEN
        ).exists()
        if to_desk.location_id != ticket.location_id:
            errors["desk"] = [_("This desk is at another location.")]
        elif not open_session:
            errors["desk"] = [_("This desk is closed now.")]
        elif queue is None:
            served = list(to_desk.queues.filter(active=True))
            target_queue = served[0] if served else target_queue
        if (
            "desk" not in errors
            and not to_desk.departments.filter(pk=target_queue.department_id).exists()
        ):
            errors["desk"] = [_("This desk does not serve the receiving department.")]
    if to_user is not None:
        member_of = set(access.memberships(to_user))
        if not any(m.department_id == target_queue.department_id for m in member_of):
            errors["user"] = [_("This staff member does not work in the receiving department.")]
    note = note.strip()
    if len(note) > 500:
        errors["note"] = [_("Keep the note under 500 characters.")]
    if errors:
        raise DomainError(_("The hand-off is not possible."), fields=errors)
    now = clock.now()
    with transaction.atomic():
        ticket = apply(
            ticket,
            "transfer",
            queue=target_queue,
            assigned_user=to_user,
            assigned_desk=to_desk,
            waiting_since=now,
            desk=None,
            called_at=None,
            started_at=None,
            transfers=F("transfers") + 1,
        )
        if note:
            HandoffNote.objects.create(
                ticket=ticket,
                department=target_queue.department,
                author=actor,
                text=note,
                created_at=now,
            )
        record(
            ticket,
            "transfer",
            actor,
            queue=target_queue.pk,
            desk=to_desk.pk if to_desk else None,
            user=to_user.pk if to_user else None,
            with_note=bool(note),
        )
        live(ticket, "transferred")
    return ticket
