"""Public pages: the locations, a location's opening hours, and its iCal feed."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.hours import compute, publish, selectors
from onthaal.hours.models import HoursChannel, OpeningRule
from onthaal.organisation.models import Location

FEED_WEEKS = 8


def index(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    now = clock.now()
    cards = []
    for place in Location.objects.all():
        data = selectors.hours_data(place, today, today + dt.timedelta(days=14))
        cards.append(
            {
                "location": place,
                "open_now": compute.is_open(data, now, channel=compute.WALK_IN),
                "next_opening": compute.next_opening(data, now, channel=compute.WALK_IN),
            }
        )
    return render(request, "hours/index.html", {"cards": cards})


def location(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Location, slug=slug)
    today = clock.today()
    now = clock.now()
    monday = today - dt.timedelta(days=today.weekday())
    horizon = today + dt.timedelta(days=60)
    data = selectors.hours_data(place, min(monday, today), horizon)
    week = compute.schedule(data, monday, monday + dt.timedelta(days=6))
    today_schedule = compute.day_schedule(data, today)
    upcoming = [d for d in compute.schedule(data, today, horizon) if d.reason]
    labels = dict(HoursChannel.choices)
    now_status = [
        {
            "channel": labels[c.channel],
            "open": compute.is_open(data, now, channel=c.channel),
            "next": compute.next_opening(data, now, channel=c.channel),
        }
        for c in today_schedule.channels
    ]
    page_url = request.build_absolute_uri(place.get_absolute_url())
    rules = tuple(
        r.as_rule() for r in OpeningRule.objects.filter(location=place, department__isnull=True)
    )
    structured = publish.json_ld(place, rules, upcoming, page_url)
    context = {
        "location": place,
        "today": today_schedule,
        "now_status": now_status,
        "week": week,
        "upcoming": upcoming,
        "json_ld": json.dumps(structured, ensure_ascii=False).replace("</", "<\\/"),
        "departments": place.departments.all(),
    }
    return render(request, "hours/location.html", context)


def location_ical(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(Location, slug=slug)
    today = clock.today()
    days = selectors.location_schedule(place, today, today + dt.timedelta(weeks=FEED_WEEKS))
    body = publish.ical(
        place, days, request.build_absolute_uri(place.get_absolute_url()), clock.now()
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{place.slug}-{_("opening-hours")}.ics"'
    return response
