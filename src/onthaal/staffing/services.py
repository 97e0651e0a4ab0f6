"""Writes of the staff planning, one function per use case: one transaction, validated, with
its audit event.

Approving a telework or leave request that would open a coverage gap needs the lead to confirm
it (``accept_gap``). Two approvals that each leave the coverage whole but together open a gap
are serialised: the approval locks the rows of the person's department first (``_lock``), then
computes the coverage with every absence registered so far, so the second sees the first's
absence and gets the warning (tests/concurrency/test_staffing_approvals.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onthaal.appointments import notify
from onthaal.appointments import services as appointments
from onthaal.appointments.models import Appointment, Status
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation.models import Department, Location
from onthaal.staffing import coverage as cov
from onthaal.staffing import selectors
from onthaal.staffing.models import (
    Absence,
    AbsenceKind,
    AffectedAppointment,
    FeedToken,
    Place,
    RequestStatus,
    Roster,
    RosterAssignment,
    StaffProfile,
    StaffRequest,
    hash_feed_token,
)


class GapWarning(Conflict):
    """The change would open a coverage gap; ``cells`` says where. Confirm to go ahead."""

    default_code = "coverage_gap"

    def __init__(self, message: str, cells: list[cov.Cell]) -> None:
        super().__init__(message, fields={"coverage": describe_gaps(cells[:10])})
        self.cells = cells


def describe_gap(cell: cov.Cell, names: dict[int, str] | None = None) -> str:
    """The gap in words; ``names``: department names by id, when the caller has them (else
    one query)."""
    if names is not None and cell.department in names:
        name: Any = names[cell.department]
    else:
        department = Department.objects.filter(pk=cell.department).first()
        name = department.name if department else cell.department
    return _("%(day)s %(hour)s:00-%(next)s:00, %(department)s: %(missing)s missing") % {
        "day": cell.day.strftime("%d/%m"),
        "hour": f"{cell.hour:02d}",
        "next": f"{cell.hour + 1:02d}",
        "department": name,
        "missing": cell.gap,
    }


def describe_gaps(cells: list[cov.Cell]) -> list[str]:
    """Each gap in words, the department names read in one query."""
    names = dict(
        Department.objects.filter(pk__in={c.department for c in cells}).values_list("pk", "name")
    )
    return [describe_gap(c, names) for c in cells]


def _audit(action: str, actor: Any, object_type: str, object_id: Any, **details: Any) -> None:
    record_event(
        action=action,
        actor=actor,
        object_type=f"staffing.{object_type}",
        object_id=object_id,
        details=details,
    )


def _local_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.date, dt.date]:
    local = clock.BRUSSELS
    last = (end - dt.timedelta(microseconds=1)).astimezone(local).date()
    return start.astimezone(local).date(), last


def _check_span(start: dt.datetime | None, end: dt.datetime | None) -> None:
    errors: dict[str, list[str]] = {}
    if start is None or start.tzinfo is None:
        errors["start"] = [_("Give the time with its offset.")]
    if end is None or end.tzinfo is None:
        errors["end"] = [_("Give the time with its offset.")]
    if not errors and start is not None and end is not None:
        if end <= start:
            errors["end"] = [_("The absence must end after it starts.")]
        elif end - start > dt.timedelta(days=366):
            errors["end"] = [_("At most a year at a time.")]
    if errors:
        raise DomainError(_("The period is not valid."), fields=errors)


def impact(
    user: Any,
    start: dt.datetime,
    end: dt.datetime,
    *,
    bases: dict[tuple[int, dt.date], selectors.Base] | None = None,
    locations: list[Location] | None = None,
) -> list[cov.Cell]:
    """The coverage gaps that ``user`` being away from ``start`` to ``end`` would open, at
    every location they work at (``selectors.impact``: the coverage once per location and
    week, kept in ``bases`` for the next request, and the absence as a delta)."""
    return selectors.impact(user, start, end, bases, locations)


def _lock(user: Any) -> None:
    """Serialise the decisions about one department's people: lock its row (one department,
    so no lock order to keep). On SQLite the IMMEDIATE transaction already does."""
    profile = StaffProfile.objects.filter(user=user).only("department_id").first()
    if profile is not None:
        Department.objects.select_for_update().filter(pk=profile.department_id).first()


# -- absences --------------------------------------------------------------------------------


@dataclass
class AbsenceResult:
    absence: Absence
    moved: list[Appointment] = field(default_factory=list)
    notified: list[Appointment] = field(default_factory=list)
    gaps: list[cov.Cell] = field(default_factory=list)


def affected_appointments(absence: Absence) -> list[Appointment]:
    """The booked appointments that lose their person through ``absence``: at a desk where a
    published roster plans the person at the appointment's time."""
    local = clock.BRUSSELS
    first, last = _local_days(absence.start, absence.end)
    rows = RosterAssignment.objects.filter(
        user_id=absence.user_id,
        roster__status=Roster.Status.PUBLISHED,
        place=Place.DESK,
        day__gte=first,
        day__lte=last,
    ).values_list("desk_id", "day", "start", "end")
    found: dict[int, Appointment] = {}
    for desk_id, day, a_start, a_end in rows:
        start = max(absence.start, dt.datetime.combine(day, a_start, tzinfo=local))
        end = min(absence.end, dt.datetime.combine(day, a_end, tzinfo=local))
        if end <= start:
            continue
        for appointment in Appointment.objects.filter(
            desk_id=desk_id, status=Status.BOOKED, start__lt=end, end__gt=start
        ).select_related("location", "department"):
            found[appointment.pk] = appointment
    return sorted(found.values(), key=lambda a: (a.start, a.pk))


def register_absence(
    *,
    actor: Any,
    user: Any,
    kind: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    note: str = "",
    site: str = "",
) -> AbsenceResult:
    """Register an absence. For an unplanned one (sickness, other) the appointments it takes
    the person from are handled at once, each exactly once: moved to a free colleague with the
    same skills (same time, another desk; the citizen gets the "moved" message), or else the
    citizen gets a message with the link to pick another time. ``site`` is the root for that
    link (default ``ONTHAAL_PUBLIC_URL``)."""
    if kind not in AbsenceKind.values:
        raise DomainError(
            _("The absence is not valid."), fields={"kind": [_("Choose a kind of absence.")]}
        )
    _check_span(start, end)
    assert start is not None and end is not None
    if user is None or not StaffProfile.objects.filter(user=user).exists():
        raise DomainError(
            _("The absence is not valid."),
            fields={"user": [_("This person has no staff profile.")]},
        )
    with transaction.atomic():
        _lock(user)
        absence = Absence.objects.create(
            user=user,
            kind=kind,
            start=start,
            end=end,
            note=note[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=clock.now(),
        )
        _audit(
            Action.CREATE,
            actor,
            "absence",
            absence.pk,
            user=user.pk,
            kind=kind,
            start=start.isoformat(),
            end=end.isoformat(),
        )
    result = AbsenceResult(absence)
    for appointment in affected_appointments(absence):
        handled = _handle_affected(absence, appointment, actor, site or settings.ONTHAAL_PUBLIC_URL)
        if handled == AffectedAppointment.Outcome.MOVED:
            result.moved.append(appointment)
        elif handled == AffectedAppointment.Outcome.NOTIFIED:
            result.notified.append(appointment)
    return result


def _manage_link(site: str, appointment: Appointment) -> str:
    from django.urls import reverse

    token = appointments.token_of(appointment) or appointments.manage_token(appointment.reference)
    return f"{site}{reverse('appointments:manage', args=[appointment.reference])}?token={token}"


def _handle_affected(absence: Absence, appointment: Appointment, actor: Any, site: str) -> str:
    """Move ``appointment`` to a colleague, or ask the citizen to pick another time; recorded
    once per absence (the unique row is written first, in the same transaction as the
    message, so a second run finds it and does nothing). Returns the outcome, "" when it was
    handled before."""
    if AffectedAppointment.objects.filter(absence=absence, appointment=appointment).exists():
        return ""
    from_desk = appointment.desk_id
    try:
        moved = appointments.reassign(appointment=appointment, actor=actor)
    except Conflict:
        moved = None
    try:
        with transaction.atomic():
            outcome = (
                AffectedAppointment.Outcome.MOVED
                if moved is not None
                else AffectedAppointment.Outcome.NOTIFIED
            )
            AffectedAppointment.objects.create(
                absence=absence,
                appointment=appointment,
                outcome=outcome,
                from_desk_id=from_desk,
                created_at=clock.now(),
            )
            link = _manage_link(site, appointment)
            if moved is not None:
                notify.change(moved, link)
            else:
                notify.rebook(appointment, link)
            _audit(
                Action.TRANSITION,
                actor,
                "absence",
                absence.pk,
                appointment=appointment.reference,
                outcome=str(outcome),
            )
    except IntegrityError:
        return ""
    return str(outcome)


# -- requests --------------------------------------------------------------------------------


def request_create(
    *,
    actor: Any,
    kind: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    note: str = "",
) -> StaffRequest:
    if kind not in StaffRequest.Kind.values:
        raise DomainError(
            _("The request is not valid."), fields={"kind": [_("Choose telework or leave.")]}
        )
    _check_span(start, end)
    assert start is not None and end is not None
    with transaction.atomic():
        request = StaffRequest.objects.create(
            user=actor, kind=kind, start=start, end=end, note=note[:200], created_at=clock.now()
        )
        _audit(Action.CREATE, actor, "request", request.pk, kind=kind)
    return request


def request_decide(
    *, actor: Any, request: StaffRequest, approve: bool, accept_gap: bool = False
) -> StaffRequest:
    """Approve or refuse a pending request. An approval that opens a coverage gap raises
    ``GapWarning`` unless ``accept_gap``; the check and the approval happen under the
    department's lock (module docstring)."""
    with transaction.atomic():
        _lock(request.user)
        fresh = StaffRequest.objects.select_for_update().get(pk=request.pk)
        if fresh.status != RequestStatus.PENDING:
            raise Conflict(_("This request was decided already."), code="invalid_state")
        bases: dict[tuple[int, dt.date], selectors.Base] = {}
        gaps = impact(fresh.user, fresh.start, fresh.end, bases=bases) if approve else []
        if approve and gaps and not accept_gap:
            raise GapWarning(_("Approving this request would open a gap in the coverage."), gaps)
        now = clock.now()
        if approve:
            kind = (
                AbsenceKind.TELEWORK
                if fresh.kind == StaffRequest.Kind.TELEWORK
                else AbsenceKind.LEAVE
            )
            fresh.absence = Absence.objects.create(
                user=fresh.user,
                kind=kind,
                start=fresh.start,
                end=fresh.end,
                note=fresh.note,
                created_by=actor,
                created_at=now,
            )
        fresh.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
        fresh.decided_by = actor
        fresh.decided_at = now
        fresh.gap = bool(gaps) or (
            not approve and bool(impact(fresh.user, fresh.start, fresh.end, bases=bases))
        )
        fresh.save()
        _audit(
            Action.TRANSITION,
            actor,
            "request",
            fresh.pk,
            transition="approve" if approve else "refuse",
            gap=fresh.gap,
        )
    return fresh


# -- rosters ---------------------------------------------------------------------------------


def roster_publish(*, actor: Any, roster: Roster) -> Roster:
    """Publish one department's draft roster; the other departments' rosters of the week are
    not touched. A published roster is a Conflict (a double click is not published twice)."""
    with transaction.atomic():
        updated = Roster.objects.filter(pk=roster.pk, status=Roster.Status.DRAFT).update(
            status=Roster.Status.PUBLISHED, published_at=clock.now(), published_by=actor
        )
        if updated != 1:
            raise Conflict(_("This roster is published already."), code="invalid_state")
        roster.refresh_from_db()
        record_event(
            action=Action.TRANSITION,
            actor=actor,
            object_type="staffing.roster",
            object_id=roster.pk,
            department=roster.department,
            details={"transition": "publish", "department": roster.department_id},
        )
    return roster


def rosters_publish(*, actor: Any, rosters: list[Roster]) -> list[Roster]:
    """Publish the drafts among ``rosters`` (one department's each) in one transaction;
    those published already are left as they are. None of them a draft: Conflict."""
    drafts = sorted(
        (r for r in rosters if r.status == Roster.Status.DRAFT), key=lambda r: r.department_id
    )
    if not drafts:
        raise Conflict(_("This roster is published already."), code="invalid_state")
    with transaction.atomic():
        return [roster_publish(actor=actor, roster=r) for r in drafts]


def assignment_change(
    *,
    actor: Any,
    assignment: RosterAssignment,
    place: str,
    desk_id: int | None,
    departments: list[int] | None = None,
) -> RosterAssignment:
    """The lead moves one assignment to another place (and desk). ``departments``: the ones
    whose desks the lead may plan (default: any); a front shift counts for the department
    its desk counts for (the first it serves)."""
    errors: dict[str, list[str]] = {}
    if place not in Place.values:
        errors["place"] = [_("Choose a place.")]
    front = place in (Place.DESK, Place.QUICK, Place.RECEPTION)
    desk = None
    department = None
    if front:
        desk = assignment.roster.location.desks.filter(pk=desk_id or 0, active=True).first()
        department = desk.departments.order_by("pk").first() if desk is not None else None
        if desk is None:
            errors["desk"] = [_("Choose a desk of this location.")]
        elif departments is not None and (department is None or department.pk not in departments):
            errors["desk"] = [_("Choose a desk of your own departments.")]
    if errors:
        raise DomainError(_("The change is not valid."), fields=errors)
    with transaction.atomic():
        assignment.place = place
        assignment.desk = desk
        assignment.department = department
        assignment.save()
        _audit(
            Action.UPDATE,
            actor,
            "roster",
            assignment.roster_id,
            assignment=assignment.pk,
            place=place,
        )
    return assignment


def feed_token_create(*, user: Any) -> str:
    """A new private iCal link for ``user``'s roster; the previous one stops working."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        FeedToken.objects.update_or_create(
            user=user, defaults={"token_hash": hash_feed_token(token), "created_at": clock.now()}
        )
        _audit(Action.CREATE, user, "feed", user.pk)
    return token


def location_of(slug: str) -> Location | None:
    return Location.objects.filter(slug=slug).first()


Callback = Callable[[str], None]
