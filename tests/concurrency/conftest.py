"""What the PostgreSQL concurrency tests share: the demo municipality on Tuesday 10:00, with
the clock running (threads race in real time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

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


def issue_tickets(queue: Queue, count: int, issuer: Any = None) -> list:
    """``count`` tickets issued by ``issuer``, else a new receptionist of ``queue``'s
    department."""
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import UserFactory
    from onthaal.queue import services
    from onthaal.queue.models import Source

    if issuer is None:
        issuer = UserFactory()
        Membership.objects.create(user=issuer, department=queue.department, role=Role.RECEPTIONIST)
    return [
        services.issue_ticket(
            location=queue.location,
            queue=queue,
            source=Source.RECEPTION,
            actor=issuer,
            check_hours=False,
        )
        for _ in range(count)
    ]


def open_desk(queue: Queue, name: str) -> tuple:
    """A new desk serving ``queue``, opened by a new desk agent: (desk, agent)."""
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.tests.factories import UserFactory
    from onthaal.organisation.models import Desk
    from onthaal.queue import services

    desk = Desk.objects.create(location=queue.location, name=name)
    desk.departments.add(queue.department)
    queue.desks.add(desk)
    agent = UserFactory()
    Membership.objects.create(user=agent, department=queue.department, role=Role.DESK_AGENT)
    services.open_desk(desk=desk, actor=agent)
    return desk, agent
