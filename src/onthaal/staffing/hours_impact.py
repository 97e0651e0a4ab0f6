"""The coverage gaps a change of opening hours would open, read before it is saved: the staff
needed with the new hours against the people planned (the published rosters, else who works
by their regime), compared with the needs of the stored hours. The same coverage as the board
(``selectors.base``); only "needed" is read twice.

Which days: an exception's own day (and, when it is moved, its old one); a weekly rule's
weeks from the later of today and its validity's start, at most ``WEEKS`` weeks (the rosters
are planned a few weeks ahead; the pattern repeats after that). Days in the past are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.hours.selectors import hours_data_changed
from onthaal.organisation.models import Department, Location
from onthaal.staffing import coverage as cov
from onthaal.staffing import selectors

WEEKS = 4


def opened(location: Location, first: dt.date, last: dt.date, after: Any) -> list[cov.Cell]:
    """The cells of ``location`` from ``first`` to ``last`` whose gap the opening hours
    ``after`` (a ``compute.HoursData``) would open or widen, per department, in order. Each
    cell has the staff needed with the new hours and the staff planned."""
    base = selectors.base(location, first, last)
    found: list[cov.Cell] = []
    for department in base.departments:
        pks = [department.pk]
        planned = base.planned(pks)
        before = cov.cells(base.need(pks), planned)
        found += cov.new_gaps(before, cov.cells(base.need_with(after, pks), planned))
    return sorted(found, key=lambda c: (c.day, c.hour, c.department))


def _periods(rule: Any, exception: Any, old: Any) -> list[tuple[dt.date, dt.date]]:
    today = clock.today()
    if rule is not None:
        versions = [rule] + ([old] if old is not None else [])
        first = max(today, min(v.valid_from for v in versions))
        last = first + dt.timedelta(weeks=WEEKS, days=-1)
        untils = [v.valid_until for v in versions]
        if None not in untils:
            last = min(last, max(untils))
        return [(first, last)] if first <= last else []
    days = {exception.date} | ({old.date} if old is not None else set())
    return [(day, day) for day in sorted(days) if day >= today]


def hours_change_gaps(
    location: Location,
    *,
    rule: Any = None,
    exception: Any = None,
    old: Any = None,
    deleted: bool = False,
) -> list[cov.Cell]:
    """The gaps that saving ``rule`` or ``exception`` (an ``hours`` OpeningRule or
    OpeningException, not saved yet) or, with ``deleted``, removing it would open at
    ``location``. ``old``: its stored version, when it exists (its days count too)."""
    found: list[cov.Cell] = []
    for first, last in _periods(rule, exception, old):
        after = hours_data_changed(
            location, first, last, rule=rule, exception=exception, deleted=deleted
        )
        found += opened(location, first, last, after)
    return found


def describe(cells: list[cov.Cell]) -> list[str]:
    """Each gap in words: the day (weekday and date), the hour, the department, the staff
    needed and planned. The department names in one query."""
    names = dict(
        Department.objects.filter(pk__in={c.department for c in cells}).values_list("pk", "name")
    )
    return [
        _("%(day)s %(hour)s:00-%(next)s:00, %(department)s: %(needed)s needed, %(planned)s planned")
        % {
            "day": date_format(c.day, "D d/m"),
            "hour": f"{c.hour:02d}",
            "next": f"{c.hour + 1:02d}",
            "department": names.get(c.department, c.department),
            "needed": c.needed,
            "planned": c.planned,
        }
        for c in cells
    ]
