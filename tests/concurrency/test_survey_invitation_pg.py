"""The survey's invitation by e-mail under real concurrent connections on PostgreSQL: workers
queueing the invitation of the same served appointment at the same instant queue it once (the
appointment's row lock; the unique constraint behind it)."""

from __future__ import annotations

import datetime as dt

import pytest

from onthaal.appointments import followup, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


@pytest.mark.parametrize("workers", [2, 6])
def test_workers_racing_queue_one_invitation(demo, workers):
    request = services.build_request(
        location=demo.location, products=[Product.objects.get(slug="eid-aanvragen")]
    )
    appointment, _token = services.book(
        request=request,
        start=dt.datetime(2027, 3, 24, 9, 0, tzinfo=BRUSSELS),
        name="Jan Peeters",
        email="jan@example.org",
        survey_opt_in=True,
    )
    Appointment.objects.filter(pk=appointment.pk).update(status=Status.DONE)  # served
    queued: list[bool] = []

    errors = run_at_once(
        workers,
        lambda n: queued.append(
            followup.queue_survey_invitation(
                appointment_id=appointment.pk, survey_url="https://x/survey/t/", valid_days=14
            )
        ),
    )

    assert errors == []
    assert sorted(queued) == [False] * (workers - 1) + [True]
    assert Notification.objects.filter(kind=Notification.Kind.SURVEY).count() == 1
