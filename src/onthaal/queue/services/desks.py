"""Desks: signing in, pausing and closing; which desk a request acts for, and the checks
every desk action makes (may serve here, has the desk open, the ticket is at this desk)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.core.sql import is_key, split
from onthaal.organisation.models import Department, Desk
from onthaal.queue import broker, routing
from onthaal.queue.models import DeskSession, Queue, Status, Ticket
from onthaal.queue.statements import desk_statement


@dataclass(frozen=True)
class _Served:
    queues: dict[int, Queue]
    departments: list[Department]


def load_desk(pk: int) -> Desk | None:
    """The desk with that id (None when there is none), with what the desk requests need of
    it, in one statement (``statements.DESK_SQL``): ``desk_session``, ``desk_departments`` and
    ``served_queues`` then ask no query."""
    columns, sql = desk_statement()
    if not is_key(pk):
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        rows = cursor.fetchall()
    if not rows:
        return None
    desk, location, session, _, _ = split(rows[0], columns, connection)
    desk.location = location
    # As select_related("session") leaves it: desk_session() asks no query.
    Desk.session.related.set_cached_value(desk, session)
    queues: dict[int, Queue] = {}
    departments: dict[int, Department] = {}
    for row in rows:
        *_, queue, department = split(row, columns, connection)
        if queue is not None and department is not None:
            queue.department = department
            queues[queue.pk] = queue
        elif department is not None:
            departments[department.pk] = department
    desk._served = _Served(
        queues=dict(sorted(queues.items())),
        departments=[departments[pk] for pk in sorted(departments)],
    )
    return desk


def desk_departments(desk: Desk) -> list[Department]:
    served: _Served | None = getattr(desk, "_served", None)
    return served.departments if served is not None else list(desk.departments.all())


def served_queues(desk: Desk) -> dict[int, Queue]:
    """The active queues ``desk`` serves, with their department, by id."""
    served: _Served | None = getattr(desk, "_served", None)
    if served is not None:
        return served.queues
    return {q.pk: q for q in desk.queues.filter(active=True).select_related("department")}


def desk_view(
    desk: Desk, user_id: int | None, queues: Mapping[int, Queue] | None = None
) -> routing.DeskView:
    if queues is None:
        queues = served_queues(desk)
    return routing.DeskView(desk_id=desk.pk, user_id=user_id, queue_ids=frozenset(queues))


def desk_session(desk: Desk) -> DeskSession | None:
    """Who works at ``desk`` now: read with the desk when it was loaded with ``load_desk`` or
    ``select_related("session")``, else one query."""
    if not Desk.session.is_cached(desk):
        return DeskSession.objects.filter(desk=desk).first()
    try:
        return desk.session
    except DeskSession.DoesNotExist:
        return None


def require_serve(user: Any, desk: Desk) -> None:
    """The user serves one of the departments of ``desk`` (else refused, and audited)."""
    departments = desk_departments(desk)
    if not any(access.can(user, "queue.serve", d) for d in departments):
        access.require(
            user,
            "queue.serve",
            departments[0] if departments else None,
            object_type="organisation.desk",
            object_id=str(desk.pk),
        )


def require_desk(user: Any, desk: Desk) -> DeskSession:
    """The user may serve at ``desk`` and has it open."""
    require_serve(user, desk)
    session = desk_session(desk)
    if session is None or session.state == DeskSession.State.CLOSED:
        raise DomainError(_("Open the desk first."), code="desk_closed")
    if session.user_id != getattr(user, "pk", None):
        raise Conflict(_("Another staff member works at this desk."), code="desk_taken")
    return session


def require_own(ticket: Ticket, desk: Desk) -> None:
    """``ticket`` is the one called to or served at ``desk``."""
    if ticket.desk_id != desk.pk:
        raise Conflict(
            _("Ticket %(code)s is not at this desk.") % {"code": ticket.code}, code="other_desk"
        )


def require_at_desk(user: Any, ticket: Ticket, desk: Desk) -> DeskSession:
    """What every action at a desk on a ticket checks: ``user`` may work at ``desk`` and has it
    open, the ticket is there, and ``user`` may serve the ticket's own department."""
    session = require_desk(user, desk)
    require_own(ticket, desk)
    require_ticket(user, "queue.serve", ticket, desk)
    return session


def require_ticket(user: Any, capability: str, ticket: Ticket, desk: Desk | None = None) -> None:
    """Every action on a ticket asks its own department: ``user`` has ``capability`` in the
    department of the ticket's queue (else refused, and audited).

    At a desk (``desk``, which ``require_desk`` already allowed ``user`` to work at), a ticket
    of a queue that the desk is set up to serve counts as served there too — the quick counter
    serves reception's queue with Burgerzaken staff — except a confidential department's:
    only its own members act on those, wherever the ticket is."""
    department = ticket.queue.department
    if access.can(user, capability, department):
        return
    if desk is not None and not department.confidential and ticket.queue_id in served_queues(desk):
        return
    access.require(
        user, capability, department, object_type="queue.ticket", object_id=str(ticket.pk)
    )


def callable_queues(user: Any, desk: Desk) -> dict[int, Queue]:
    """The queues of ``desk`` whose tickets ``user`` may call there: all of them but those of
    a confidential department ``user`` is not a member of (a desk shared by departments)."""
    return {
        pk: q
        for pk, q in served_queues(desk).items()
        if not q.department.confidential or access.can(user, "queue.serve", q.department)
    }


def current_ticket(desk: Desk) -> Ticket | None:
    return (
        Ticket.objects.select_related("queue", "queue__department", "desk")
        .filter(desk=desk, status__in=[Status.CALLED, Status.SERVING])
        .order_by("-called_at")
        .first()
    )


def current_ticket_desk(ticket: Ticket, user: Any) -> Desk | None:
    """The desk where ``user`` is serving ``ticket`` now, if any (a transfer from a desk)."""
    if ticket.desk_id is None or ticket.status not in (Status.CALLED, Status.SERVING):
        return None
    user_id = getattr(user, "pk", None)
    if user_id is None:
        return None
    at_desk = DeskSession.objects.filter(desk_id=ticket.desk_id, user_id=user_id).exclude(
        state=DeskSession.State.CLOSED
    )
    return ticket.desk if at_desk.exists() else None


def open_desk(*, desk: Desk, actor: Any) -> DeskSession:
    """Sign in at a desk. Refused when someone else works there."""
    require_serve(actor, desk)
    with transaction.atomic():
        session, _created = DeskSession.objects.select_for_update().get_or_create(
            desk=desk, defaults={"since": clock.now(), "user": actor}
        )
        if session.state != DeskSession.State.CLOSED and session.user_id not in (None, actor.pk):
            raise Conflict(_("Another staff member works at this desk."), code="desk_taken")
        # One desk per person: close any other desk this user had open.
        DeskSession.objects.filter(user=actor).exclude(desk=desk).update(
            state=DeskSession.State.CLOSED, since=clock.now()
        )
        session.user = actor
        session.state = DeskSession.State.OPEN
        session.since = clock.now()
        session.save()
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="organisation.desk",
            object_id=desk.pk,
            details={"state": "open"},
        )
    broker.publish(desk.location_id, {"type": "desk", "desk": desk.name, "state": "open"})
    return session


def set_desk_state(*, desk: Desk, actor: Any, state: str) -> DeskSession:
    """Pause, resume or close one's own desk. Closing needs the current ticket finished."""
    session = require_desk(actor, desk)
    if state == DeskSession.State.CLOSED and current_ticket(desk) is not None:
        raise Conflict(_("Finish the current ticket first."), code="desk_busy")
    with transaction.atomic():
        DeskSession.objects.filter(pk=session.pk).update(state=state, since=clock.now())
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="organisation.desk",
            object_id=desk.pk,
            details={"state": state},
        )
    session.refresh_from_db()
    broker.publish(desk.location_id, {"type": "desk", "desk": desk.name, "state": state})
    return session
