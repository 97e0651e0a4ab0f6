from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from onthaal.core.clock import BRUSSELS

# A Tuesday morning: walk-in is open at the Administratief Centrum (08:30-12:00).
TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(TUESDAY_10, tick=False) as moving:
        yield moving


@pytest.fixture
def zonnedoorn(db: None, traveller: Any) -> dict[str, Any]:
    """The demo municipality (without its reporting history), with handles for the tests."""
    from django.contrib.auth import get_user_model

    from onthaal.demo import zonnedoorn as demo
    from onthaal.organisation.models import Department, Desk, Location
    from onthaal.queue.models import Queue

    demo.load()
    ac = Location.objects.get(slug="administratief-centrum")
    sh = Location.objects.get(slug="sociaal-huis")
    return {
        "ac": ac,
        "sh": sh,
        "users": {u.username: u for u in get_user_model().objects.all()},
        "burgerzaken": Queue.objects.get(location=ac, prefix="B"),
        "social": Queue.objects.get(location=sh, prefix="M"),
        "balie1": Desk.objects.get(location=ac, name="Balie 1"),
        "room1": Desk.objects.get(location=sh, name="Spreekkamer 1"),
        "bz": Department.objects.get(slug="burgerzaken"),
        "sd": Department.objects.get(slug="sociale-dienst"),
        "traveller": traveller,
    }


@pytest.fixture
def history(zonnedoorn: dict[str, Any]) -> dict[str, Any]:
    """Ten weeks of the demo's generated history (and the same weeks a year earlier), ending
    the day before the test's Tuesday, written through the bulk path."""
    from django.db import transaction

    from onthaal.reporting import demo, services

    today = TUESDAY_10.date()
    ids = demo._ids()
    recent = [
        f
        for f in demo.generate(today, ids)
        if f.service_day >= today - dt.timedelta(weeks=10)
        or today - dt.timedelta(weeks=62) <= f.service_day < today - dt.timedelta(weeks=52)
    ]
    with transaction.atomic():
        services.record_facts(recent, with_products=False)
    return {**zonnedoorn, "facts": recent}
