"""The staff of the demo municipality Zonnedoorn: part-timers, two telework days for most
back-office staff, a late Thursday evening, one person on leave next week and a pending
telework request. ``load_demo_staff`` is part of the demo (it changes no availability: no
roster is published). ``publish_demo_rosters`` — run by ``onthaal demo`` — proposes and
publishes this week's and next week's rosters and registers a sick day tomorrow, whose booked
appointments are moved to a colleague or their citizens asked to pick another time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from onthaal.accounts.backends import DEMO_PASSWORD
from onthaal.accounts.models import Membership, Role
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import Department, Location
from onthaal.staffing.models import Absence, AbsenceKind, Roster, StaffProfile, StaffRequest

FULL = "111111111100"
# username, first, last, department, percent, pattern A, pattern B, telework max, telework
# days (floating wishes unless "fixed"), mode, products left out, evenings
TEAM: list[tuple[str, str, str, str, int, str, str, int, str, str, tuple[str, ...], bool]] = [
    ("balie", "Bart", "Balie", "burgerzaken", 100, FULL, "", 1, "4", "floating", (), True),
    ("teamlead", "Tom", "Teamleider", "burgerzaken", 100, FULL, "", 1, "2", "floating", (), False),
    ("sofie", "Sofie", "Claes", "burgerzaken", 100, FULL, "", 2, "13", "floating", (), True),
    (
        "karim",
        "Karim",
        "El Amrani",
        "burgerzaken",
        80,
        "111111101100",
        "",
        2,
        "04",
        "floating",
        ("huwelijksaangifte",),
        True,
    ),
    (
        "lien",
        "Lien",
        "Peeters",
        "burgerzaken",
        50,
        "111111000000",
        "000000111100",
        1,
        "1",
        "floating",
        ("rijbewijs", "internationaal-rijbewijs"),
        False,
    ),
    ("jef", "Jef", "Janssens", "burgerzaken", 100, FULL, "", 2, "24", "floating", (), True),
    ("nadia", "Nadia", "Maes", "burgerzaken", 80, "101010101000", "", 2, "3", "floating", (), True),
    (
        "ruben",
        "Ruben",
        "Willems",
        "burgerzaken",
        100,
        "111111111111",
        "",
        1,
        "0",
        "floating",
        (),
        True,
    ),
    ("onthaal", "Ilse", "Onthaal", "onthaal", 100, FULL, "", 0, "", "floating", (), True),
    ("wout", "Wout", "Jacobs", "onthaal", 100, "111111111111", "", 0, "", "floating", (), True),
    ("fatma", "Fatma", "Yilmaz", "onthaal", 50, "101010101000", "", 0, "", "floating", (), False),
    ("greet", "Greet", "Mertens", "omgeving", 100, FULL, "", 2, "13", "fixed", (), True),
    (
        "pieter",
        "Pieter",
        "Goossens",
        "omgeving",
        80,
        "111111110000",
        "",
        2,
        "02",
        "floating",
        (),
        False,
    ),
    (
        "mw",
        "Mira",
        "Maatschappelijk",
        "sociale-dienst",
        100,
        FULL,
        "",
        2,
        "14",
        "floating",
        (),
        False,
    ),
    ("an", "An", "De Smedt", "sociale-dienst", 100, FULL, "", 2, "03", "floating", (), False),
    (
        "youssef",
        "Youssef",
        "Benali",
        "sociale-dienst",
        80,
        "111111101100",
        "",
        2,
        "2",
        "floating",
        (),
        False,
    ),
    (
        "hanne",
        "Hanne",
        "Wuyts",
        "sociale-dienst",
        60,
        "111010100000",
        "",
        1,
        "1",
        "floating",
        (),
        False,
    ),
]
ROLE_OF = {
    "burgerzaken": Role.DESK_AGENT,
    "onthaal": Role.RECEPTIONIST,
    "omgeving": Role.DESK_AGENT,
    "sociale-dienst": Role.SOCIAL_WORKER,
}


def _day_span(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return (
        to_instant(day, dt.time(0), clock.BRUSSELS),
        to_instant(day + dt.timedelta(days=1), dt.time(0), clock.BRUSSELS),
    )


def load_demo_staff() -> None:
    users = get_user_model()
    now = clock.now()
    for (
        username, first, last, slug, percent, pattern_a, pattern_b, tw_max, tw_days, mode,
        untrained, evenings,
    ) in TEAM:  # fmt: skip
        department = Department.objects.get(slug=slug)
        user = users.objects.filter(username=username).first()
        if user is None:
            user = users.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@zonnedoorn.example",
            )
            Membership.objects.create(user=user, department=department, role=ROLE_OF[slug])
        profile = StaffProfile.objects.create(
            user=user,
            department=department,
            percent=percent,
            pattern_a=pattern_a,
            pattern_b=pattern_b,
            telework_max_days=tw_max,
            telework_days=tw_days,
            telework_mode=mode,
            team_days="" if slug == "onthaal" else "1" if tw_max and "1" not in tw_days else "",
            evenings=evenings,
        )
        profile.products.set(
            Product.objects.filter(department=department).exclude(slug__in=untrained)
        )
        if slug == "onthaal":
            # Reception also serves the quick counter for Burgerzaken pick-ups.
            profile.products.add(
                *Product.objects.filter(slug__in=["eid-afhalen", "reispas-afhalen"])
            )
            profile.locations.set(Location.objects.all())
    today = clock.today()
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    # Jef is on leave all of next week.
    Absence.objects.create(
        user=users.objects.get(username="jef"),
        kind=AbsenceKind.LEAVE,
        start=_day_span(next_monday)[0],
        end=_day_span(next_monday + dt.timedelta(days=4))[1],
        note="Verlof",
        created_at=now,
    )
    # Sofie asks to telework next Thursday, the late evening opening.
    thursday = next_monday + dt.timedelta(days=3)
    StaffRequest.objects.create(
        user=users.objects.get(username="sofie"),
        kind=StaffRequest.Kind.TELEWORK,
        start=_day_span(thursday)[0],
        end=_day_span(thursday)[1],
        note="Thuiswerk",
        created_at=now,
    )


def publish_demo_rosters(actor: Any = None) -> dict[str, int]:
    """Propose and publish the rosters (every department's) of this week and next at every
    location, then register
    Sofie's sick day tomorrow (after booking three appointments at her desk). Idempotent."""
    from onthaal.staffing import proposal, services

    today = clock.today()
    monday = today - dt.timedelta(days=today.weekday())
    published = 0
    for location in Location.objects.all():
        for week in (monday, monday + dt.timedelta(days=7)):
            if Roster.objects.filter(location=location, week=week).exists():
                continue
            result = proposal.propose(actor=actor, location=location, week=week, time_limit=4)
            for roster in result.rosters:
                services.roster_publish(actor=actor, roster=roster)
                published += 1
    moved = notified = 0
    tomorrow = today + dt.timedelta(days=1)
    sofie = get_user_model().objects.get(username="sofie")
    if (
        tomorrow.weekday() < 5
        and not Absence.objects.filter(user=sofie, kind=AbsenceKind.SICKNESS).exists()
    ):
        _book_at_her_desk(sofie, tomorrow)
        start, end = _day_span(tomorrow)
        result_ = services.register_absence(
            actor=actor, user=sofie, kind=AbsenceKind.SICKNESS, start=start, end=end, note="Ziek"
        )
        moved, notified = len(result_.moved), len(result_.notified)
    return {"rosters": published, "moved": moved, "notified": notified}


def _book_at_her_desk(user: Any, day: dt.date) -> None:
    """Book up to three appointments in the hours Sofie is planned at a desk on ``day``."""
    from onthaal.appointments import services as appointments
    from onthaal.appointments.models import Appointment
    from onthaal.core.errors import DomainError
    from onthaal.staffing.models import Place, RosterAssignment

    rows = RosterAssignment.objects.filter(
        user=user, day=day, place=Place.DESK, roster__status=Roster.Status.PUBLISHED
    ).select_related("desk", "roster__location")
    product = Product.objects.get(slug="eid-aanvragen")
    made = 0
    for row in rows:
        request = appointments.build_request(location=row.roster.location, products=[product])
        for slot in appointments.availability(request, day, day):
            if made >= 3 or row.desk_id not in slot.resource_ids:
                continue
            if slot.start.astimezone(clock.BRUSSELS).time() < row.start:
                continue
            try:
                booked, _token = appointments.book(
                    request=request,
                    start=slot.start,
                    name=f"Demo burger {made + 1}",
                    email=f"burger{made + 1}@example.org",
                )
            except DomainError:
                continue
            if booked.desk_id != row.desk_id:
                Appointment.objects.filter(pk=booked.pk).update(desk_id=row.desk_id)
            made += 1
