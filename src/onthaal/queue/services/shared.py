"""What the use cases of customer guidance share: the audit event of a ticket's change, the
live event to the location's screens, and a ticket's transition applied in a transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict
from onthaal.queue import broker, routing
from onthaal.queue.models import CLOSED_STATUSES, TRANSITIONS, Status, Ticket, contact_forgotten

POLICY = routing.Policy()


def event_args(ticket: Ticket, action: str, actor: Any, **details: Any) -> dict[str, Any]:
    """The audit event of ``action`` on ``ticket``, as ``record_event`` takes it."""
    return {
        "action": Action.CREATE if action == "issue" else Action.TRANSITION,
        "actor": actor,
        "object_type": "queue.ticket",
        "object_id": ticket.pk,
        "department": ticket.queue.department,
        "details": {"transition": action, "code": ticket.code, "status": ticket.status, **details},
    }


def record(ticket: Ticket, action: str, actor: Any, **details: Any) -> None:
    """Write the audit event of ``action`` on ``ticket``, in the caller's transaction."""
    record_event(**event_args(ticket, action, actor, **details))


def live(ticket: Ticket, kind: str) -> None:
    """Tell the location's screens and desks, after commit. Numbers and desks only: never a
    name, nor the ticket's private status id (the stream is public)."""
    desk = ticket.desk
    broker.publish(
        ticket.location_id,
        {
            "type": kind,
            "code": ticket.code,
            "queue": ticket.queue.prefix,
            "desk": desk.name if desk is not None and kind in ("called", "recalled") else "",
            "status": ticket.status,
            "at": clock.now().isoformat(),
        },
        # A new ticket changes only the waiting counts: the calls on the screens stay cached.
        waiting_only=kind == "issued",
    )


def with_status(action: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """What ``action`` writes: its status, ``changes``, and, when it closes the ticket, the
    alert contact forgotten (it ends with the ticket)."""
    to = TRANSITIONS[action][1]
    return {"status": to, **changes, **(contact_forgotten() if to in CLOSED_STATUSES else {})}


def apply(ticket: Ticket, action: str, **changes: Any) -> Ticket:
    """Apply a transition with a conditional UPDATE; Conflict when the ticket has moved on.
    The appointment checked in with the ticket follows in the same UPDATE (a trigger, ADR
    0012)."""
    allowed_from = TRANSITIONS[action][0]
    updated = Ticket.objects.filter(pk=ticket.pk, status__in=allowed_from).update(
        **with_status(action, changes)
    )
    if updated != 1:
        raise moved_on(ticket)
    # Read back with what the event and the screens need, in one query.
    return Ticket.objects.select_related("queue", "queue__department", "desk").get(pk=ticket.pk)


def moved_on(ticket: Ticket, allowed_from: tuple[str, ...] = ()) -> Conflict:
    """The refusal of a transition that changed nothing; ``allowed_from``: the statuses it
    starts from, when it skips a ticket that another request is changing."""
    current = Ticket.objects.filter(pk=ticket.pk).values_list("status", flat=True).first()
    if current in allowed_from:
        return Conflict(
            _("Ticket %(code)s is being changed elsewhere right now. Try again.")
            % {"code": ticket.code},
            code="ticket_busy",
        )
    label = Status(current).label if current else _("unknown")
    return Conflict(
        _("Ticket %(code)s is %(status)s; this is no longer possible.")
        % {"code": ticket.code, "status": label},
        code="invalid_state",
    )
