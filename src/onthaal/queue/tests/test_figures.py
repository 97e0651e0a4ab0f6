"""Live figures count tickets, not ticket-desk pairs: a queue served by several desks shows
what a count straight from the tickets gives, on the lead view and at every desk."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from onthaal.accounts.models import Membership, Role
from onthaal.accounts.tests.factories import UserFactory
from onthaal.core import clock
from onthaal.organisation.models import Desk
from onthaal.queue import estimate, selectors, services
from onthaal.queue.models import DeskSession, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def _three_desks_on_one_queue(z):
    queue = z["burgerzaken"]
    desks = []
    for n in range(3):
        desk = Desk.objects.create(location=z["ac"], name=f"Telbalie {n + 1}")
        desk.departments.add(queue.department)
        queue.desks.add(desk)
        agent = UserFactory()
        Membership.objects.create(user=agent, department=queue.department, role=Role.DESK_AGENT)
        services.open_desk(desk=desk, actor=agent)
        desks.append((desk, agent))
    return queue, desks


def _issue(z, queue, count):
    return [
        services.issue_ticket(
            location=z["ac"],
            queue=queue,
            source=Source.RECEPTION,
            actor=z["users"]["onthaal"],
            check_hours=False,
        )
        for _ in range(count)
    ]


def _from_the_tickets(queue):
    today = clock.today()
    tickets = Ticket.objects.filter(queue=queue, service_day=today)
    waiting = tickets.filter(status=Status.WAITING)
    oldest = min((t.waiting_since for t in waiting), default=None)
    desks = queue.desks.all()
    return {
        "waiting": waiting.count(),
        "served_today": tickets.filter(status=Status.DONE).count(),
        "longest_wait_minutes": estimate.round_minutes(clock.now() - oldest) if oldest else 0,
        "open_desks": DeskSession.objects.filter(
            desk__in=desks, state=DeskSession.State.OPEN
        ).count(),
    }


def test_three_desks_on_one_queue_show_the_counts_of_the_tickets(client, zonnedoorn):
    z = zonnedoorn
    queue, desks = _three_desks_on_one_queue(z)
    _issue(z, queue, 9)
    z["traveller"].shift(dt.timedelta(minutes=7))
    _issue(z, z["snel"], 2)  # another queue of the same location: not counted here
    (first, agent1), (second, agent2), (third, agent3) = desks
    for desk, agent in desks:  # three served
        ticket = services.call_next(desk=desk, actor=agent)
        services.finish(ticket=ticket, desk=desk, actor=agent)
    services.call_next(desk=first, actor=agent1)  # one called
    serving = services.call_next(desk=second, actor=agent2)
    services.start(ticket=serving, desk=second, actor=agent2)  # one in service
    gone = services.call_next(desk=third, actor=agent3)
    services.no_show(ticket=gone, desk=third, actor=agent3)  # one no-show
    services.set_desk_state(desk=third, actor=agent3, state=DeskSession.State.PAUSED)
    z["traveller"].shift(dt.timedelta(minutes=5))

    expected = _from_the_tickets(queue)
    assert expected == {
        "waiting": 3,
        "served_today": 3,
        "longest_wait_minutes": 12,
        "open_desks": queue.desks.filter(session__state="open").count(),
    }
    assert expected["open_desks"] >= 2  # the three new desks but the paused one, and more
    figures = {f.queue.pk: f for f in selectors.queue_figures(z["ac"])}
    found = figures[queue.pk]
    assert {
        "waiting": found.waiting,
        "served_today": found.served_today,
        "longest_wait_minutes": found.longest_wait_minutes,
        "open_desks": found.open_desks,
    } == expected
    snel = figures[z["snel"].pk]
    assert (snel.waiting, snel.served_today) == (2, 0)

    # The lead view and each desk's page show those numbers.
    client.force_login(z["users"]["teamlead"])
    lead = client.get(reverse("queue:lead", args=[z["ac"].slug]) + "?fragment=1").content.decode()
    row = _row(lead, str(queue))
    assert row[:5] == [
        str(queue),
        "3",
        "12 min",
        str(expected["open_desks"]),
        "3",
    ]
    for desk, agent in desks:
        client.force_login(agent)
        page = client.get(reverse("queue:desk", args=[desk.pk]) + "?fragment=1").content.decode()
        assert _row(page, str(queue))[:4] == [
            str(queue),
            "3",
            "12 min",
            str(expected["open_desks"]),
        ]


def _row(html: str, first_cell: str) -> list[str]:
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, flags=re.S)
        ]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row for {first_cell}")
