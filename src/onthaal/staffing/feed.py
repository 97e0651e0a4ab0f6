"""A person's published roster as an iCalendar feed (the weeks around today)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar

from onthaal.core import clock
from onthaal.hours.compute import to_instant
from onthaal.staffing.models import Roster, RosterAssignment

WEEKS_BACK, WEEKS_AHEAD = 2, 8


def ical(user: Any, today: dt.date) -> str:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Onthaal//Rooster//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Rooster")
    rows = RosterAssignment.objects.filter(
        user=user,
        roster__status=Roster.Status.PUBLISHED,
        day__gte=today - dt.timedelta(weeks=WEEKS_BACK),
        day__lte=today + dt.timedelta(weeks=WEEKS_AHEAD),
    ).select_related("desk", "roster__location")
    for row in rows:
        event = icalendar.Event()
        event.add("uid", f"roster-{row.pk}@onthaal")
        event.add("dtstamp", clock.now())
        event.add("dtstart", to_instant(row.day, row.start, clock.BRUSSELS))
        event.add("dtend", to_instant(row.day, row.end, clock.BRUSSELS))
        where = row.desk.name if row.desk else row.get_place_display()
        event.add("summary", f"{row.get_place_display()}: {where}")
        event.add("location", row.roster.location.name)
        calendar.add_component(event)
    return calendar.to_ical().decode()
