"""The figures' refresh under real concurrent connections on PostgreSQL: workers refreshing at
the same instant record every closed visit exactly once, and the rollups count each once."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from onthaal.queue import services as queue_services
from onthaal.reporting import services
from onthaal.reporting.models import HourlyRollup, Visit
from tests.concurrency.conftest import issue_tickets
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


@pytest.mark.parametrize("workers", [2, 6])
def test_workers_racing_record_each_visit_exactly_once(demo, workers):
    from onthaal.eloket.models import Request
    from onthaal.mail.models import MailItem
    from onthaal.reporting.models import RefreshState

    Request.objects.filter(finished_at__isnull=False).delete()  # the demo's: tickets only here
    # The demo's handled e-mails would become facts too: behind the floor here.
    last = MailItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    RefreshState.objects.update_or_create(pk=1, defaults={"mail_floor": last + 1})
    tickets = issue_tickets(demo, 30)
    assert queue_services.close_day(at_closing=True) == 30
    recorded: list[int] = []

    errors = run_at_once(workers, lambda n: recorded.append(services.refresh_facts()))

    assert errors == []
    assert sum(recorded) == 30
    assert sorted(recorded, reverse=True)[0] == 30  # one worker did it all; the others waited
    assert sorted(Visit.objects.values_list("origin_id", flat=True)) == sorted(
        t.pk for t in tickets
    )
    assert HourlyRollup.objects.aggregate(n=Sum("visits"))["n"] == 30
    assert HourlyRollup.objects.aggregate(n=Sum("cancelled"))["n"] == 30
