"""Turn alerts under real concurrent connections on PostgreSQL: two workers (and a few more)
running ``enqueue_turn_alerts`` at the same instant queue each ticket's message exactly once."""

from __future__ import annotations

import pytest

from onthaal.appointments.models import Notification
from onthaal.audit import selectors as audit_selectors
from onthaal.queue import alerts
from onthaal.queue.models import Ticket
from tests.concurrency.conftest import issue_tickets
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


@pytest.mark.parametrize("workers", [2, 8])
def test_workers_racing_queue_each_turn_alert_exactly_once(demo, settings, workers):
    settings.ONTHAAL_TURN_ALERT_AHEAD = 3
    tickets = issue_tickets(demo, 8)
    # Contacts stored directly, so that no alert is queued before the race starts.
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(
        alert_email="wachtende@example.org", alert_phone="+32 470 12 34 56"
    )
    queued: list[int] = []

    def work(n: int) -> None:
        queued.append(alerts.enqueue_turn_alerts())

    assert run_at_once(workers, work) == []
    # The first four (0 to 3 people before them) get one e-mail and one SMS each.
    assert sum(queued) == 4
    rows = list(Notification.objects.values_list("ticket_id", "channel"))
    assert len(rows) == 8 and len(set(rows)) == 8
    assert {ticket_id for ticket_id, _ in rows} == {t.pk for t in tickets[:4]}
    assert Ticket.objects.filter(alert_sent_at__isnull=False).count() == 4
    assert audit_selectors.verify().ok
