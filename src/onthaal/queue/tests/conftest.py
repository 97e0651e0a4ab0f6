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
def at_tuesday_10() -> Iterator[Any]:
    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        yield traveller


@pytest.fixture
def zonnedoorn(db: None, at_tuesday_10: Any) -> dict[str, Any]:
    """The demo municipality, with handles on what the queue tests use."""
    from django.contrib.auth import get_user_model

    from onthaal.demo import zonnedoorn as demo
    from onthaal.organisation.models import Desk, Location
    from onthaal.queue.models import Queue

    demo.load()
    users = {u.username: u for u in get_user_model().objects.all()}
    ac = Location.objects.get(slug="administratief-centrum")
    sh = Location.objects.get(slug="sociaal-huis")
    return {
        "ac": ac,
        "sh": sh,
        "users": users,
        "burgerzaken": Queue.objects.get(location=ac, prefix="B"),
        "snel": Queue.objects.get(location=ac, prefix="S"),
        "social": Queue.objects.get(location=sh, prefix="M"),
        "balie1": Desk.objects.get(location=ac, name="Balie 1"),
        "balie2": Desk.objects.get(location=ac, name="Balie 2"),
        "balie5": Desk.objects.get(location=ac, name="Balie 5"),
        "room1": Desk.objects.get(location=sh, name="Spreekkamer 1"),
        "traveller": at_tuesday_10,
    }
