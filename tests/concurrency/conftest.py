"""What the PostgreSQL concurrency tests share: the demo municipality on Tuesday 10:00, with
the clock running (threads race in real time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from onthaal.core.clock import BRUSSELS
from onthaal.queue.models import Queue

TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)


@pytest.fixture
def demo() -> Iterator[Queue]:
    """The demo loaded at Tuesday 10:00; the clock runs from there. Gives the Burgerzaken
    queue (B) of the Administratief Centrum."""
    from onthaal.demo import zonnedoorn

    with time_machine.travel(TUESDAY_10, tick=False):
        zonnedoorn.load()
    with time_machine.travel(TUESDAY_10, tick=True):
        yield Queue.objects.select_related("location", "department").get(
            location__slug="administratief-centrum", prefix="B"
        )
