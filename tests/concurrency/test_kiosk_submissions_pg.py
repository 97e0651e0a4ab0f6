"""A kiosk form sent again and again at the same time (a retry after a lost answer, a double
tap, a reload) issues one ticket, on PostgreSQL's one-round-trip path: no duplicate, no lost
number, one audit event, with the device as actor."""

from __future__ import annotations

import pytest

from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import AuditEvent
from onthaal.queue import services
from onthaal.queue.models import Source, Ticket, TicketCounter
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


def test_eight_copies_of_one_submission_and_other_submissions_at_once(demo):
    queue = demo
    issued: list[Ticket] = []

    def work(n: int) -> None:
        # Threads 0-7 send the same submission; 8-11 each their own.
        key = "same-submission-key" if n < 8 else f"other-submission-{n}"
        issued.append(
            services.issue_ticket(
                location=queue.location,
                queue=queue,
                source=Source.KIOSK,
                actor="device:kiosk-ac-1",
                check_hours=False,
                submission_key=key,
            )
        )

    assert run_at_once(12, work) == []
    assert len(issued) == 12
    assert len({t.pk for t in issued if t.submission_key == "same-submission-key"}) == 1
    assert Ticket.objects.count() == 5
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5]  # unique and gapless
    assert TicketCounter.objects.get().last_number == 5
    events = AuditEvent.objects.filter(object_type="queue.ticket")
    assert events.count() == 5
    assert set(events.values_list("actor_label", flat=True)) == {"device:kiosk-ac-1"}
    assert audit_selectors.verify().ok
