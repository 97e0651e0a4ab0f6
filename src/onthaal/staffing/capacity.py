"""Capacity follows people: when each desk is staffed by someone trained for the products, by
the published roster of its location's week (ADR 0013).

Rosters are per department. In a week in which the roster of the department a desk counts
for (the first it serves, by id: ``selectors.primary_desks``) is published, the desk takes
appointments only while a person is assigned to it (``Place.DESK``) who is trained for every
product asked for and is not absent. Other weeks keep the desk-schedule behaviour
(``appointments.services.desk_resources``). One query when no roster is published in the
period, five when one is, whatever the number of desks and people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import CharField
from django.db.models.functions import Cast

from onthaal.core import clock
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import Desk
from onthaal.staffing.models import Absence, Place, Roster, RosterAssignment, StaffProfile

Span = tuple[dt.datetime, dt.datetime]


def _subtract(span: Span, holes: Sequence[Span]) -> list[Span]:
    out = [span]
    for h_start, h_end in holes:
        nxt = []
        for start, end in out:
            if h_end <= start or end <= h_start:
                nxt.append((start, end))
                continue
            if start < h_start:
                nxt.append((start, h_start))
            if h_end < end:
                nxt.append((h_end, end))
        out = nxt
    return out


def rostered_days(
    location_id: int, first: dt.date, last: dt.date
) -> dict[tuple[dt.date, int], int]:
    """The published rosters from ``first`` to ``last``: (Monday, department) -> roster id."""
    monday = first - dt.timedelta(days=first.weekday())
    return {
        (week, department_id): pk
        for week, department_id, pk in Roster.objects.filter(
            location_id=location_id,
            status=Roster.Status.PUBLISHED,
            week__gte=monday,
            week__lte=last,
        ).values_list("week", "department_id", "pk")
    }


def desk_departments(desks: Sequence[Any]) -> dict[int, int]:
    """The department each desk counts for: the first it serves, by id (one query)."""
    out: dict[int, int] = {}
    for desk_id, department_id in (
        Desk.departments.through.objects.filter(desk_id__in=[d.pk for d in desks])
        .order_by("desk_id", "department_id")
        .values_list("desk_id", "department_id")
    ):
        out.setdefault(desk_id, department_id)
    return out


def staffed_spans(
    desks: Sequence[Any], product_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> tuple[dict[int, set[dt.date]], dict[int, list[Span]]]:
    """For each desk, the local days from ``start`` to ``end`` that a published roster of its
    department covers (desks without any are left out), and the instants in which a trained
    person who is not absent is assigned to it then."""
    if not desks:
        return {}, {}
    local = clock.BRUSSELS
    first, last = start.astimezone(local).date(), end.astimezone(local).date()
    weeks = rostered_days(desks[0].location_id, first, last)
    if not weeks:
        return {}, {}
    counts_for = desk_departments(desks)
    days: dict[int, set[dt.date]] = {}
    for desk in desks:
        department_id = counts_for.get(desk.pk)
        found = {
            monday + dt.timedelta(days=n)
            for monday, dep in weeks
            if dep == department_id
            for n in range(7)
            if first <= monday + dt.timedelta(days=n) <= last
        }
        if found:
            days[desk.pk] = found
    if not days:
        return {}, {}
    query = (
        RosterAssignment.objects.filter(
            roster_id__in=weeks.values(),
            place=Place.DESK,
            desk__in=list(days),
            day__gte=first,
            day__lte=last,
        )
        .annotate(
            day_text=Cast("day", CharField()),
            start_text=Cast("start", CharField()),
            end_text=Cast("end", CharField()),
        )
        .values_list("user_id", "desk_id", "day_text", "start_text", "end_text")
    )
    # Fetched at once and parsed by fromisoformat (C), as ``appointments.services._busy`` does:
    # several times faster than the ORM's per-row converters for the rows of eight weeks.
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    users = {r[0] for r in rows}
    wanted = set(product_ids)
    if wanted and users:
        skills: dict[int, set[int]] = {}
        for user_id, product_id in StaffProfile.products.through.objects.filter(
            staffprofile__user_id__in=users, product_id__in=wanted
        ).values_list("staffprofile__user_id", "product_id"):
            skills.setdefault(user_id, set()).add(product_id)
        trained = {user_id for user_id, known in skills.items() if known >= wanted}
    else:
        trained = users
    absent: dict[int, list[Span]] = {}
    if trained:
        for user_id, gone_from, gone_until in Absence.objects.filter(
            user_id__in=trained, start__lt=end, end__gt=start
        ).values_list("user_id", "start", "end"):
            absent.setdefault(user_id, []).append((gone_from, gone_until))
    spans: dict[int, list[Span]] = {d.pk: [] for d in desks}
    instants: dict[tuple[str, str], dt.datetime] = {}

    def instant(day: str, wall: str) -> dt.datetime:
        found = instants.get((day, wall))
        if found is None:
            found = to_instant(dt.date.fromisoformat(day), dt.time.fromisoformat(wall), local)
            instants[(day, wall)] = found
        return found

    for user_id, desk_id, day_text, start_text, end_text in rows:
        if user_id not in trained or dt.date.fromisoformat(day_text) not in days[desk_id]:
            continue
        span = (instant(day_text, start_text), instant(day_text, end_text))
        holes = absent.get(user_id)
        spans[desk_id] += _subtract(span, holes) if holes else [span]
    return days, spans


def day_span(day: dt.date) -> Span:
    """A whole local day as instants (23 or 25 hours on the DST Sundays)."""
    local = clock.BRUSSELS
    return (
        to_instant(day, dt.time(0), local),
        to_instant(day + dt.timedelta(days=1), dt.time(0), local),
    )
