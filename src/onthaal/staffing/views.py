"""Staff planning pages: the coverage board of a location's week with the requests, the
proposed roster and the balance figures (team leads); one's own week, requests and the private
iCal feed (every staff member); the CSV import (team leads)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.organisation.models import Department, Location
from onthaal.staffing import balance, feed, importing, proposal, selectors, services
from onthaal.staffing.models import (
    AbsenceKind,
    FeedToken,
    Place,
    RequestStatus,
    Roster,
    RosterAssignment,
    StaffProfile,
    StaffRequest,
    hash_feed_token,
)
from onthaal.staffing.regime import SHIFTS

STATE_WORDS = {
    "gap": lambda c: _("%(n)s short") % {"n": c.gap},
    "surplus": lambda c: _("%(n)s extra") % {"n": -c.gap},
    "ok": lambda c: _("covered"),
    "idle": lambda c: _("none needed"),
    "closed": lambda c: "",
}


def _monday(request: HttpRequest) -> dt.date:
    text = request.GET.get("week") or request.POST.get("week") or ""
    try:
        day = dt.date.fromisoformat(text) if text else clock.today()
    except ValueError:
        day = clock.today()
    return day - dt.timedelta(days=day.weekday())


def _lead(request: HttpRequest) -> None:
    access.require(request.user, "staffing.plan", object_type="staffing.board")


def _own_departments(request: HttpRequest, location: Location) -> list[int]:
    """The departments of ``location`` whose planning the user leads (administrators: every
    department they may see). None of them: refused, audited, 403."""
    return selectors.own_departments(request.user, location, "staffing.board")


def _departments_asked(request: HttpRequest, location: Location, object_type: str) -> list[int]:
    """The lead's own departments at ``location``, or the one department the form names
    (``department``): another department than their own is refused (403, audited)."""
    own = selectors.own_departments(request.user, location, "staffing.board")
    asked = request.POST.get("department", "")
    if not asked:
        return own
    return [selectors.require_department(request.user, location, asked, own, object_type).pk]


def _require_person(request: HttpRequest, user: Any, object_type: str, object_id: str) -> None:
    """Refuse (audited, 403) acting on a person outside the user's departments."""
    selectors.require_person(request.user, user, object_type, object_id)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _lead(request)
    allowed = access.departments_with(request.user, "staffing.plan")
    first = (
        Location.objects.filter(departments__in=allowed).distinct().order_by("name").first()
        or Location.objects.order_by("name").first()
    )
    if first is None:
        raise Http404
    return redirect("staffing:board", slug=first.slug)


def _grid(board: selectors.Board) -> list[dict[str, Any]]:
    """Per department: the hours as rows, the days as columns, each cell with its words."""
    days = [board.first + dt.timedelta(days=n) for n in range((board.last - board.first).days + 1)]
    by_key = {(c.day, c.hour, c.department): c for c in board.cells}
    out = []
    for department in board.departments:
        hours = sorted({c.hour for c in board.cells if c.department == department.pk})
        rows = []
        for hour in hours:
            cells = []
            for day in days:
                cell = by_key.get((day, hour, department.pk))
                state = cell.state if cell else "closed"
                if cell and state == "surplus" and not cell.needed:
                    # Nobody needed at the front (no desk open): planned people are not a
                    # surplus to act on, they work elsewhere in that hour.
                    state = "idle"
                cells.append(
                    {
                        "cell": cell,
                        "state": state,
                        "words": STATE_WORDS[state](cell) if cell else "",
                    }
                )
            rows.append({"hour": hour, "cells": cells})
        out.append({"department": department, "days": days, "rows": rows})
    return out


def _unmet(roster: Roster | None, departments: list[Any]) -> list[dict[str, Any]]:
    """The proposal's unmet constraints in words: the day, the shift's hours, the department
    (or the person without a free desk) and how many people are missing."""
    if roster is None:
        return []
    names = {d.pk: d.name for d in departments}
    out = []
    for item in roster.unmet or []:
        try:
            day = dt.date.fromisoformat(str(item.get("day", "")))
        except ValueError:
            continue
        start, end = SHIFTS.get(str(item.get("shift", "")), (None, None))
        who = names.get(item.get("department"), "") if "department" in item else ""
        if "person" in item:
            who = selectors.staff_name(int(item["person"]))
        out.append(
            {
                "day": day,
                "hours": f"{start:%H:%M}\u2013{end:%H:%M}" if start and end else "",
                "who": who,
                "missing": item.get("missing", 0),
                "no_desk": bool(item.get("reason")),
            }
        )
    return out


@login_required
def board(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    own = _own_departments(request, location)
    monday = _monday(request)
    last = monday + dt.timedelta(days=5)
    # The week's coverage once; the board, each pending request (as a delta) and the balance
    # figures read from it.
    bases = {(location.pk, monday): selectors.base(location, *selectors.week_range(monday))}
    week = bases[(location.pk, monday)]
    coverage = week.board(own, last=last)
    names = {d.pk: d.name for d in week.departments}
    # Each department has its own roster; the lead sees (and proposes, edits and publishes)
    # those of their own departments.
    rosters = {
        r.department_id: r
        for r in Roster.objects.filter(location=location, week=monday, department__in=own)
    }
    assignments = list(
        RosterAssignment.objects.filter(roster__in=rosters.values())
        .select_related("user", "desk", "department")
        .order_by("day", "start", "user__last_name")
    )
    roster_blocks: list[dict[str, Any]] = [
        {
            "department": d,
            "roster": rosters.get(d.pk),
            "assignments": [a for a in assignments if a.roster_id == rosters[d.pk].pk]
            if d.pk in rosters
            else [],
            "unmet": _unmet(rosters.get(d.pk), coverage.departments),
        }
        for d in coverage.departments
    ]
    pending = []
    requests = list(
        StaffRequest.objects.filter(
            status=RequestStatus.PENDING, user__staff_profile__department__in=own
        ).select_related("user")
    )
    places = selectors.locations_of({r.user_id for r in requests})
    for r in requests:
        if location not in places.get(r.user_id, []):
            continue
        opened = services.impact(r.user, r.start, r.end, bases=bases, locations=places[r.user_id])
        unknown = {c.department for c in opened} - set(names)
        if unknown:
            names.update(Department.objects.filter(pk__in=unknown).values_list("pk", "name"))
        pending.append({"request": r, "gaps": [services.describe_gap(c, names) for c in opened]})
    context = {
        "location": location,
        "locations": Location.objects.filter(departments__in=own).distinct().order_by("name"),
        "monday": monday,
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "grid": _grid(coverage),
        "gaps": [services.describe_gap(c, names) for c in coverage.gaps],
        "source": coverage.source,
        "rostered": bool(coverage.rostered),
        "rosters": roster_blocks,
        "can_propose": any(
            b["roster"] is None or b["roster"].status == Roster.Status.DRAFT for b in roster_blocks
        ),
        "assignments": assignments,
        "places": Place.choices,
        "desks": location.desks.filter(active=True).order_by("name"),
        "pending": pending,
        "kinds": AbsenceKind.choices,
        "people": [p for p in week.profiles if p.department_id in own],
        "balance": balance.figures(location, monday, own, base=week),
    }
    return render(request, "staffing/board.html", context)


def _shortly(items: list[Any], first: int = 3) -> str:
    """The first few items, then how many more (the board lists them all)."""
    text = "; ".join(str(i) for i in items[:first])
    if len(items) > first:
        text += "; " + _("and %(n)s more") % {"n": len(items) - first}
    return text


def _back(location: Location, monday: dt.date) -> HttpResponse:
    return redirect(reverse("staffing:board", args=[location.slug]) + f"?week={monday.isoformat()}")


@login_required
@require_POST
def decide(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    _own_departments(request, location)
    staff_request = get_object_or_404(StaffRequest, pk=pk)
    _require_person(request, staff_request.user, "staffing.request", str(staff_request.pk))
    approve = request.POST.get("decision") == "approve"
    try:
        services.request_decide(
            actor=request.user,
            request=staff_request,
            approve=approve,
            accept_gap=request.POST.get("accept_gap") == "1",
        )
    except services.GapWarning as warning:
        messages.warning(
            request,
            _("Not approved yet: it would open a gap (%(where)s). Tick the box to approve anyway.")
            % {"where": _shortly(list(warning.fields["coverage"]))},
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Request approved.") if approve else _("Request refused."))
    return _back(location, _monday(request))


@login_required
@require_POST
def absence(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    _own_departments(request, location)
    user = (
        get_user_model().objects.filter(pk=request.POST.get("user", "0") or 0).first()
        if (request.POST.get("user", "").isdigit())
        else None
    )
    if user is not None:
        _require_person(request, user, "staffing.absence", str(user.pk))

    def moment(name: str) -> dt.datetime | None:
        try:
            value = dt.datetime.fromisoformat(request.POST.get(name, ""))
        except ValueError:
            return None
        return value.replace(tzinfo=clock.BRUSSELS) if value.tzinfo is None else value

    try:
        result = services.register_absence(
            actor=request.user,
            user=user,
            kind=request.POST.get("kind", ""),
            start=moment("start"),
            end=moment("end"),
            note=request.POST.get("note", ""),
            site=request.build_absolute_uri("/").rstrip("/"),
        )
    except DomainError as error:
        messages.error(
            request, "; ".join([error.message, *(str(m) for v in error.fields.values() for m in v)])
        )
    else:
        messages.success(
            request,
            _(
                "Absence registered. Appointments moved to a colleague: %(moved)s; citizens asked to pick another time: %(notified)s."
            )
            % {
                "moved": ", ".join(a.reference for a in result.moved) or "0",
                "notified": ", ".join(a.reference for a in result.notified) or "0",
            },
        )
    return _back(location, _monday(request))


@login_required
@require_POST
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    own = _departments_asked(request, location, "staffing.roster")
    monday = _monday(request)
    try:
        result = proposal.propose(
            actor=request.user, location=location, week=monday, departments=own
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Roster proposed in %(s)s s: %(unmet)s unmet constraints; telework wishes honoured: %(ok)s of %(all)s."
            )
            % {
                "s": f"{result.seconds:.1f}",
                "unmet": len(result.unmet),
                "ok": result.proposal.wishes_honoured,
                "all": result.proposal.wishes,
            },
        )
        if result.skipped:
            messages.info(
                request,
                _("Published already, left as they are: %(departments)s.")
                % {"departments": ", ".join(d.name for d in result.skipped)},
            )
    return _back(location, monday)


@login_required
@require_POST
def publish(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    own = _departments_asked(request, location, "staffing.roster")
    monday = _monday(request)
    rosters = list(
        Roster.objects.filter(location=location, week=monday, department__in=own).select_related(
            "department"
        )
    )
    if not rosters:
        raise Http404
    try:
        published = services.rosters_publish(actor=request.user, rosters=rosters)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Roster published: %(departments)s.")
            % {"departments": ", ".join(r.department.name for r in published)},
        )
    return _back(location, monday)


@login_required
@require_POST
def assignment(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    own = _own_departments(request, location)
    row = get_object_or_404(
        RosterAssignment.objects.select_related("roster"), pk=pk, roster__location=location
    )
    if row.roster.department_id not in own:
        # Another department's roster: refused (audited, 403).
        selectors.require_department(
            request.user, location, str(row.roster.department_id), own, "staffing.assignment"
        )
    desk = request.POST.get("desk", "")
    try:
        services.assignment_change(
            actor=request.user,
            assignment=row,
            place=request.POST.get("place", ""),
            desk_id=int(desk) if desk.isdigit() and len(desk) < 10 else None,
            departments=own,
        )
    except DomainError as error:
        messages.error(
            request, "; ".join([error.message, *(str(m) for v in error.fields.values() for m in v)])
        )
    else:
        messages.success(request, _("Assignment changed."))
    return _back(location, row.roster.week)


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "staffing.plan", object_type="staffing.import")
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        what = request.POST.get("what", "people")
        if upload is None or upload.size is None or upload.size > 2 * 1024 * 1024:
            messages.error(request, _("Choose a CSV file of at most 2 MB."))
        else:
            try:
                data = upload.read()
                if what == "absences":
                    report = importing.import_absences(
                        actor=request.user,
                        data=data,
                        site=request.build_absolute_uri("/").rstrip("/"),
                    )
                else:
                    report = importing.import_people(actor=request.user, data=data)
            except DomainError as error:
                messages.error(
                    request,
                    "; ".join([error.message, *(str(m) for v in error.fields.values() for m in v)]),
                )
    return render(request, "staffing/import.html", {"report": report})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    # Anyone with a staff profile (imported people too) or a staff role sees their own week.
    if not StaffProfile.objects.filter(user_id=request.user.pk or 0).exists():
        access.require(request.user, "staffing.own", object_type="staffing.week")
    monday = _monday(request)
    if request.method == "POST":
        if request.POST.get("action") == "feed":
            token = services.feed_token_create(user=request.user)
            request.session["staffing_feed"] = request.build_absolute_uri(
                reverse("staffing:feed", args=[token])
            )
            return redirect(reverse("staffing:mine") + f"?week={monday.isoformat()}")

        def moment(name: str) -> dt.datetime | None:
            try:
                value = dt.datetime.fromisoformat(request.POST.get(name, ""))
            except ValueError:
                return None
            return value.replace(tzinfo=clock.BRUSSELS) if value.tzinfo is None else value

        try:
            services.request_create(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                start=moment("start"),
                end=moment("end"),
                note=request.POST.get("note", ""),
            )
        except DomainError as error:
            messages.error(
                request,
                "; ".join([error.message, *(str(m) for v in error.fields.values() for m in v)]),
            )
        else:
            messages.success(request, _("Request sent to your team lead."))
        return redirect(reverse("staffing:mine") + f"?week={monday.isoformat()}")
    days = [monday + dt.timedelta(days=n) for n in range(6)]
    user: Any = request.user
    rows = selectors.week_of(user, monday)
    context = {
        "monday": monday,
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "days": [{"day": d, "rows": [r for r in rows if r.day == d]} for d in days],
        "requests": StaffRequest.objects.filter(user=user).order_by("-created_at")[:10],
        "feed_url": request.session.pop("staffing_feed", ""),
        "has_feed": FeedToken.objects.filter(user=user).exists(),
        "shifts": SHIFTS,
    }
    return render(request, "staffing/mine.html", context)


def feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The private iCal feed: the token is the key (only its hash is stored)."""
    found = (
        FeedToken.objects.filter(token_hash=hash_feed_token(token[:100]))
        .select_related("user")
        .first()
    )
    if found is None or not found.user.is_active:
        raise Http404
    body = feed.ical(found.user, clock.today())
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
