"""What the staffing tests plan: people of the demo's Burgerzaken at the Administratief
Centrum, in the week of Monday 2027-03-22 (the fixture's clock stands on Tuesday 23 10:00)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.organisation.models import Department, Desk, Location
from onthaal.staffing.models import Place, Roster, RosterAssignment, StaffProfile

WEEK = dt.date(2027, 3, 22)
WEDNESDAY = dt.date(2027, 3, 24)


def person(username: str, department: str = "burgerzaken", *products: str, **fields: Any) -> Any:
    user = get_user_model().objects.create_user(
        username=username, first_name=username.title(), last_name="Test"
    )
    profile = StaffProfile.objects.create(
        user=user, department=Department.objects.get(slug=department), **fields
    )
    profile.products.set(Product.objects.filter(slug__in=products))
    return user


def roster(
    location: str = "administratief-centrum",
    week: dt.date = WEEK,
    department: str = "burgerzaken",
    **fields: Any,
) -> Roster:
    return Roster.objects.create(
        location=Location.objects.get(slug=location),
        department=Department.objects.get(slug=department),
        week=week,
        status=fields.pop("status", Roster.Status.PUBLISHED),
        created_at=clock.now(),
        **fields,
    )


def plan(
    r: Roster, user: Any, desk: str, day: dt.date, start: str, end: str, place: str = Place.DESK
) -> RosterAssignment:
    d = Desk.objects.get(location=r.location, name=desk)
    return RosterAssignment.objects.create(
        roster=r,
        user=user,
        day=day,
        start=dt.time.fromisoformat(start),
        end=dt.time.fromisoformat(end),
        place=place,
        desk=d,
        department=d.departments.order_by("pk").first(),
    )


def at(day: dt.date, time: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(time), tzinfo=clock.BRUSSELS)
