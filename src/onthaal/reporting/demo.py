"""Two years of visit history for Zonnedoorn, generated deterministically and written as facts
and rollups in bulk (``make demo`` stays quick: no tickets or appointments are made).

The patterns a real town hall has: Monday is busiest and Friday quietest; the hours just before
and after lunch peak; Flemish school holidays are quiet; an ID-card renewal wave (the cards of
ten years ago expire) from March to June of last year; and after the pilot date (a year ago)
Burgerzaken works by appointment, so walk-in gives way to appointments and the quick counter.
The history follows the demo's weekly hours (walk-in in the morning, appointments all day, the
late Thursday evening, Saturday morning pick-ups) and is closed on Belgian public holidays.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator

from django.db import transaction

from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.hours.holidays import public_holidays
from onthaal.organisation.models import Department, Location
from onthaal.queue.models import Queue
from onthaal.reporting import facts, services
from onthaal.reporting.models import HourlyRollup, Origin, Visit

SEED = 20240101
DAYS = 730

# Visits per day at the Administratief Centrum on an ordinary Tuesday, per department.
BASE = {"burgerzaken": 60, "omgeving": 6, "onthaal": 14, "sociale-dienst": 9}
WEEKDAY_FACTOR = [1.35, 1.0, 1.1, 0.95, 0.8, 0.5, 0.0]
# Hourly profile (local hour -> weight): the hours around lunch peak.
PROFILE = {
    8: 0.5,
    9: 1.0,
    10: 1.1,
    11: 1.4,
    12: 0.2,
    13: 1.3,
    14: 0.9,
    15: 0.7,
    16: 0.35,
    17: 0.35,
    18: 0.3,
}
# (department, product slug, weight, service minutes)
MIX = [
    ("burgerzaken", "eid-aanvragen", 22, 14),
    ("burgerzaken", "eid-afhalen", 26, 3),
    ("burgerzaken", "kids-id", 7, 9),
    ("burgerzaken", "reispas-aanvragen", 8, 18),
    ("burgerzaken", "reispas-afhalen", 5, 3),
    ("burgerzaken", "rijbewijs", 9, 12),
    ("burgerzaken", "strafregister", 7, 5),
    ("burgerzaken", "adreswijziging", 8, 10),
    ("burgerzaken", "uittreksel-burgerlijke-stand", 5, 6),
    ("burgerzaken", "huwelijksaangifte", 1, 30),
    ("sociale-dienst", "sociale-intake", 4, 40),
    ("sociale-dienst", "leefloon", 3, 35),
    ("sociale-dienst", "energie-ondersteuning", 3, 25),
    ("omgeving", "omgevingsvergunning-info", 1, 28),
    ("onthaal", "huisvuilzakken", 1, 3),
]
QUICK = {"eid-afhalen", "reispas-afhalen", "huisvuilzakken", "strafregister"}


def school_holiday(day: dt.date) -> bool:
    """Flemish school holidays, near enough: summer, autumn, Christmas, spring and Easter."""
    md = (day.month, day.day)
    return (
        (7, 1) <= md <= (8, 31)
        or (10, 28) <= md <= (11, 3)
        or md >= (12, 23)
        or md <= (1, 5)
        or (2, 24) <= md <= (3, 1)
        or (4, 3) <= md <= (4, 17)
    )


def _open(location: str, department: str, weekday: int, hour: int, channel: str) -> bool:
    """The demo's weekly hours (``hours.demo``), as (location, department) x channel."""
    if weekday == 6:
        return False
    if location == "sh":
        if channel == facts.APPOINTMENT:
            return department == "sociale-dienst" and weekday < 5 and 13 <= hour < 16
        return weekday in (0, 2, 4) and 9 <= hour < 12
    if weekday == 5:
        return channel != facts.APPOINTMENT and 9 <= hour < 12
    if channel == facts.APPOINTMENT:
        return 8 <= hour < 12 or 13 <= hour < 16 or (weekday == 3 and 16 <= hour < 19)
    return 8 <= hour < 12


def generate(today: dt.date, ids: dict[str, int], seed: int = SEED) -> Iterator[facts.VisitFact]:
    """The facts, day by day. ``ids`` names the rows the facts point to: locations ("ac",
    "sh"), departments and queues (by slug/prefix) and products (by slug)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    start = today - dt.timedelta(days=DAYS)
    pilot = today - dt.timedelta(days=365)
    wave = (dt.date(pilot.year, 3, 1), dt.date(pilot.year, 6, 30))
    closed = public_holidays(start, today)
    by_department: dict[str, list[tuple[str, int, float]]] = {}
    for department, slug, popularity, service in MIX:
        if slug in ids:
            by_department.setdefault(department, []).append((slug, popularity, float(service)))
    counter = 0
    day = start
    while day < today:
        weekday = day.weekday()
        if day in closed or WEEKDAY_FACTOR[weekday] == 0:
            day += dt.timedelta(days=1)
            continue
        season = 0.7 if school_holiday(day) else 1.0
        trend = 1 + 0.04 * (day - start).days / 365
        for department, base in BASE.items():
            location = "sh" if department == "sociale-dienst" else "ac"
            products = by_department.get(department) or [("", 1, 10)]
            after_pilot = day >= pilot and department == "burgerzaken"
            appointment_share = {
                "burgerzaken": 0.78 if after_pilot else 0.3,
                "sociale-dienst": 0.7,
                "omgeving": 0.6,
                "onthaal": 0.0,
            }[department]
            cum = list(itertools.accumulate(p[1] for p in products))
            for hour, weight in PROFILE.items():
                at = dt.datetime.combine(day, dt.time(hour), tzinfo=clock.BRUSSELS)
                for channel_kind in (facts.APPOINTMENT, facts.WALK_IN):
                    if not _open(location, department, weekday, hour, channel_kind):
                        continue
                    share = (
                        appointment_share
                        if channel_kind == facts.APPOINTMENT
                        else 1 - appointment_share
                    )
                    mean = base * WEEKDAY_FACTOR[weekday] * season * trend * weight * share / 6.2
                    if channel_kind == facts.APPOINTMENT and hour >= 13:
                        mean *= 1.6  # afternoons are appointment-only: the demand moves there
                    if mean <= 0:
                        continue
                    for _ in range(_poisson(rng, mean)):
                        slug, _w, minutes = rng.choices(products, cum_weights=cum)[0]
                        counter += 1
                        yield _visit(
                            rng,
                            counter,
                            at,
                            day,
                            hour,
                            location,
                            department,
                            slug,
                            minutes,
                            channel_kind,
                            ids,
                            after_pilot,
                        )
                # The renewal wave: extra ID-card visits.
                if department == "burgerzaken" and wave[0] <= day <= wave[1]:
                    for _ in range(
                        _poisson(rng, base * 0.45 * weight * WEEKDAY_FACTOR[weekday] / 6.2)
                    ):
                        kind = (
                            facts.APPOINTMENT
                            if _open(location, department, weekday, hour, facts.APPOINTMENT)
                            and rng.random() < appointment_share + 0.1
                            else facts.WALK_IN
                        )
                        if not _open(location, department, weekday, hour, kind):
                            continue
                        slug = "eid-aanvragen" if rng.random() < 0.55 else "eid-afhalen"
                        counter += 1
                        yield _visit(
                            rng,
                            counter,
                            at,
                            day,
                            hour,
                            location,
                            department,
                            slug,
                            14 if slug == "eid-aanvragen" else 3,
                            kind,
                            ids,
                            after_pilot,
                        )
        day += dt.timedelta(days=1)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _visit(
    rng: random.Random,
    number: int,
    at: dt.datetime,
    day: dt.date,
    hour: int,
    location: str,
    department: str,
    slug: str,
    minutes: float,
    channel: str,
    ids: dict[str, int],
    after_pilot: bool,
) -> facts.VisitFact:
    arrived = at + dt.timedelta(seconds=int(rng.random() * 3600))
    quick = (
        channel == facts.WALK_IN
        and slug in QUICK
        and location == "ac"
        and (after_pilot or rng.random() < 0.4)
    )
    if quick:
        channel = facts.QUICK_COUNTER
    # Reception at the Administratief Centrum has no queue of its own: its visitors take S.
    queue = ids.get(f"queue:{location}:{'S' if quick else department}") or ids.get(
        f"queue:{location}:S"
    )
    roll = rng.random()
    if channel == facts.APPOINTMENT:
        outcome = facts.NO_SHOW if roll < 0.06 else facts.CANCELLED if roll < 0.13 else facts.SERVED
        wait = rng.expovariate(1 / 150)
    else:
        outcome = (
            facts.CANCELLED if roll < 0.02 else facts.TRANSFERRED if roll < 0.03 else facts.SERVED
        )
        busy = 1.0 + (0.9 if day.weekday() == 0 else 0) + (0.6 if hour in (11, 13) else 0)
        wait = rng.expovariate(1 / ((90 if quick else 420 if not after_pilot else 300) * busy))
    service = max(60.0, rng.lognormvariate(math.log(minutes * 60), 0.35))
    served = outcome == facts.SERVED
    called = (
        arrived + dt.timedelta(seconds=wait) if outcome in (facts.SERVED, facts.NO_SHOW) else None
    )
    ended = called + dt.timedelta(seconds=service) if served and called else None
    product = ids.get(slug, 0)
    return facts.VisitFact(
        origin=Origin.DEMO,
        origin_id=number,
        location_id=ids[location],
        department_id=ids[department],
        queue_id=queue
        if channel != facts.APPOINTMENT or location == "ac"
        else ids.get(f"queue:{location}:{department}"),
        channel=channel,
        source="demo",
        service_day=day,
        weekday=day.weekday(),
        hour=hour,
        outcome=outcome,
        arrived_at=arrived,
        called_at=called,
        started_at=called if served else None,
        ended_at=ended,
        wait_seconds=round(wait) if called else None,
        service_seconds=round(service) if served else None,
        persons=2 if rng.random() < 0.08 else 1,
        booked_minutes=15 if channel == facts.APPOINTMENT else None,
        products=((product, 2 if rng.random() < 0.07 else 1),) if product else (),
    )


def _ids() -> dict[str, int]:
    ids: dict[str, int] = {
        "ac": Location.objects.get(slug="administratief-centrum").pk,
        "sh": Location.objects.get(slug="sociaal-huis").pk,
    }
    ids.update(dict(Department.objects.values_list("slug", "pk")))
    ids.update(dict(Product.objects.values_list("slug", "pk")))
    for queue in Queue.objects.select_related("location", "department"):
        where = "ac" if queue.location.slug == "administratief-centrum" else "sh"
        key = "S" if queue.prefix == "S" else queue.department.slug
        ids[f"queue:{where}:{key}"] = queue.pk
    return ids


def load_demo_history(today: dt.date | None = None) -> int:
    """Write the history (idempotent: nothing when it is there). Returns the visits written."""
    if Visit.objects.filter(origin=Origin.DEMO).exists():
        return 0
    batch = list(generate(today or clock.today(), _ids()))
    with transaction.atomic():
        services.record_facts(batch, with_products=False)
    return len(batch)


__all__ = ["HourlyRollup", "load_demo_history"]
