"""Opening hours in standard formats: schema.org JSON-LD and iCalendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from icalendar import Calendar, Event

from onthaal.hours import compute
from onthaal.hours.models import HoursChannel
from onthaal.organisation.models import Location

SCHEMA_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def json_ld(
    location: Location,
    rules: tuple[compute.WeeklyRule, ...],
    special: list[compute.DaySchedule],
    url: str,
) -> dict[str, Any]:
    """schema.org GovernmentOffice with OpeningHoursSpecification for the general walk-in hours
    (location-wide rules) and one specification per special or closed day."""
    specs: list[dict[str, Any]] = []
    for rule in sorted(rules, key=lambda r: (r.weekday, r.opens)):
        if rule.channel != compute.WALK_IN or rule.department_id is not None:
            continue
        spec: dict[str, Any] = {
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": f"https://schema.org/{SCHEMA_DAYS[rule.weekday]}",
            "opens": rule.opens.strftime("%H:%M"),
            "closes": rule.closes.strftime("%H:%M"),
            "validFrom": rule.valid_from.isoformat(),
        }
        if rule.valid_until:
            spec["validThrough"] = rule.valid_until.isoformat()
        specs.append(spec)
    for day in special:
        walk_in = next((c for c in day.channels if c.channel == compute.WALK_IN), None)
        if walk_in is None:
            continue
        base = {
            "@type": "OpeningHoursSpecification",
            "validFrom": day.day.isoformat(),
            "validThrough": day.day.isoformat(),
            "description": day.reason,
        }
        if walk_in.intervals:
            for interval in walk_in.intervals:
                specs.append(
                    {
                        **base,
                        "opens": interval.start.astimezone(compute.BRUSSELS).strftime("%H:%M"),
                        "closes": interval.end.astimezone(compute.BRUSSELS).strftime("%H:%M"),
                    }
                )
        else:
            specs.append({**base, "opens": "00:00", "closes": "00:00"})
    return {
        "@context": "https://schema.org",
        "@type": "GovernmentOffice",
        "name": location.name,
        "url": url,
        "telephone": location.phone or None,
        "email": location.email or None,
        "address": {
            "@type": "PostalAddress",
            "streetAddress": location.street,
            "postalCode": location.postal_code,
            "addressLocality": location.city,
            "addressCountry": "BE",
        },
        "openingHoursSpecification": specs,
    }


def ical(location: Location, days: list[compute.DaySchedule], url: str, now: dt.datetime) -> bytes:
    """An iCalendar feed: one event per opening interval and one all-day event per closure."""
    labels = dict(HoursChannel.choices)
    calendar = Calendar()
    calendar.add("prodid", "-//Onthaal//opening hours//NL")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{location.name} — openingsuren")
    calendar.add("x-wr-timezone", "Europe/Brussels")
    host = url.split("/")[2] if "//" in url else "onthaal"
    for day in days:
        for interval in day.intervals:
            event = Event()
            event.add(
                "uid", f"{location.slug}-{interval.channel}-{interval.start:%Y%m%dT%H%M%SZ}@{host}"
            )
            event.add("summary", f"{location.name}: {labels[interval.channel]}")
            event.add("dtstart", interval.start)
            event.add("dtend", interval.end)
            event.add("dtstamp", now)
            event.add("url", url)
            calendar.add_component(event)
        if day.reason and day.closed:
            event = Event()
            event.add("uid", f"{location.slug}-closed-{day.day:%Y%m%d}@{host}")
            event.add("summary", f"{location.name} gesloten: {day.reason}")
            event.add("dtstart", day.day)
            event.add("dtend", day.day + dt.timedelta(days=1))
            event.add("dtstamp", now)
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar.to_ical()
