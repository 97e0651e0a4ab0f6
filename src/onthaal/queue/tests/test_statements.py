"""Hand-written statements give what their plain ORM path gives (``onthaal.queue.statements``;
the others are held equal in test_hand_written_reads, test_issue_in_one_round_trip and
tests/concurrency/test_queue_pg)."""

from __future__ import annotations

import datetime as dt

import pytest

from onthaal.core import clock
from onthaal.queue.models import Source, Ticket
from onthaal.queue.services import calling, desk_view, issue_ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_head_of_the_queue_is_what_the_four_querysets_give(zonnedoorn):
    z = zonnedoorn
    desk, agent = z["balie1"], z["users"]["balie"]
    issued = [
        issue_ticket(
            location=z["ac"],
            queue=queue,
            source=Source.RECEPTION,
            actor=z["users"]["onthaal"],
            check_hours=False,
        )
        for queue in [z["burgerzaken"]] * 8 + [z["snel"]] * 3
    ]
    for n, ticket in enumerate(issued):
        z["traveller"].shift(dt.timedelta(seconds=30))
        Ticket.objects.filter(pk=ticket.pk).update(waiting_since=clock.now())
        if n % 3 == 0:
            Ticket.objects.filter(pk=ticket.pk).update(priority=True)
    now = clock.now()
    Ticket.objects.filter(pk=issued[5].pk).update(appointment_at=now + dt.timedelta(minutes=2))
    Ticket.objects.filter(pk=issued[6].pk).update(assigned_desk=desk)
    Ticket.objects.filter(pk=issued[9].pk).update(assigned_user=agent)
    Ticket.objects.filter(pk=issued[2].pk).update(status="cancelled", finished_at=now)
    view = desk_view(desk, agent.pk)
    today = clock.today()
    for k in (1, 2, 16):
        by_statement = calling.head_candidates(z["ac"].pk, today, view, now, k)
        by_orm = calling.head_candidates_orm(z["ac"].pk, today, view, now, k)
        assert sorted(by_statement, key=lambda c: c.id) == sorted(by_orm, key=lambda c: c.id)
    everything = calling.head_candidates(z["ac"].pk, today, view, now, 16)
    # Balie 1 serves B, not S: the S ticket handed to its agent comes; the cancelled one not.
    expected = {t.pk for t in issued[:8]} - {issued[2].pk} | {issued[9].pk}
    assert {c.id for c in everything} == expected
