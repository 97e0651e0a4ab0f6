"""The worker's step: closed tickets and appointments become facts, once, with their rollups;
retention never removes a fact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onthaal.appointments import retention
from onthaal.appointments.models import Appointment, AppointmentProduct
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.queue import services as queue
from onthaal.queue.models import Source, Ticket
from onthaal.reporting import services
from onthaal.reporting.models import HourlyRollup, RefreshState, Visit, VisitProduct

pytestmark = pytest.mark.django_db


@pytest.fixture
def zonnedoorn(zonnedoorn: dict[str, Any]) -> dict[str, Any]:
    """The demo without its finished e-loket requests, and with its mail register's e-mails
    behind the floor: these tests count the facts that tickets and appointments make
    (``eloket/tests`` count the requests' facts, ``test_contacts.py`` the e-mails')."""
    from onthaal.eloket.models import Request
    from onthaal.mail.models import MailItem

    Request.objects.filter(finished_at__isnull=False).delete()
    last = MailItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    RefreshState.objects.update_or_create(pk=1, defaults={"mail_floor": last + 1})
    return zonnedoorn


def _serve(z: dict[str, Any], minutes_waiting: int = 6, delivered: int = 2) -> Ticket:
    eid = Product.objects.get(slug="eid-aanvragen")
    ticket = queue.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.KIOSK,
        actor=z["users"]["onthaal"],
        products=[eid],
    )
    agent = z["users"]["balie"]
    queue.open_desk(desk=z["balie1"], actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=minutes_waiting))
    called = queue.call_next(desk=z["balie1"], actor=agent)
    assert called is not None and called.pk == ticket.pk
    started = queue.start(ticket=called, desk=z["balie1"], actor=agent)
    z["traveller"].shift(dt.timedelta(minutes=9))
    return queue.finish(
        ticket=started, desk=z["balie1"], actor=agent, delivered={eid.pk: delivered}
    )


def test_a_served_ticket_becomes_one_fact_and_one_rollup_row(zonnedoorn):
    z = zonnedoorn
    ticket = _serve(z)

    assert services.refresh_facts() == 1

    visit = Visit.objects.get()
    eid = Product.objects.get(slug="eid-aanvragen")
    assert (visit.origin, visit.origin_id, visit.channel, visit.source) == (
        "ticket",
        ticket.pk,
        "walk_in",
        "kiosk",
    )
    assert (visit.location_id, visit.department_id, visit.queue_id) == (
        z["ac"].pk,
        z["bz"].pk,
        z["burgerzaken"].pk,
    )
    assert (visit.service_day, visit.weekday, visit.hour) == (dt.date(2027, 3, 23), 1, 10)
    assert (visit.wait_seconds, visit.service_seconds, visit.outcome) == (360, 540, "served")
    assert (visit.product_id, visit.items, visit.persons) == (eid.pk, 2, 1)
    assert list(VisitProduct.objects.values_list("product_id", "quantity")) == [(eid.pk, 2)]
    rollup = HourlyRollup.objects.get()
    assert (rollup.visits, rollup.served, rollup.items, rollup.wait_sum, rollup.service_sum) == (
        1,
        1,
        2,
        360,
        540,
    )


def test_a_second_refresh_records_nothing_again(zonnedoorn):
    _serve(zonnedoorn)
    services.refresh_facts()

    assert services.refresh_facts() == 0
    assert Visit.objects.count() == 1
    assert HourlyRollup.objects.get().visits == 1


def test_an_open_ticket_holds_the_floor_and_is_recorded_once_it_closes(zonnedoorn):
    z = zonnedoorn
    waiting = queue.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )
    served = _serve(z)
    assert waiting.pk < served.pk

    assert services.refresh_facts() == 1
    assert RefreshState.objects.get().ticket_floor == waiting.pk  # still open: the floor waits

    z["traveller"].shift(dt.timedelta(hours=20))
    queue.close_day()  # the end of day cancels the ticket still waiting
    assert services.refresh_facts() == 1
    assert sorted(Visit.objects.values_list("origin_id", "outcome", "department_id")) == [
        (waiting.pk, "cancelled", z["sd"].pk),
        (served.pk, "served", z["bz"].pk),
    ]
    assert RefreshState.objects.get().ticket_floor == served.pk + 1
    assert services.refresh_facts() == 0


def test_the_floor_never_passes_a_ticket_issued_in_the_last_minutes(zonnedoorn):
    z = zonnedoorn
    served = _serve(z)
    # A ticket issued now may belong to a transaction that is not visible to the refresh yet:
    # closed or not, the floor stays at or below it until SETTLE has passed.
    queue.close_day(at_closing=True)
    z["traveller"].shift(services.SETTLE - dt.timedelta(minutes=1))
    newest = queue.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )
    queue.close_day(at_closing=True)

    assert services.refresh_facts() == 2
    assert RefreshState.objects.get().ticket_floor == newest.pk
    z["traveller"].shift(services.SETTLE + dt.timedelta(seconds=1))
    assert services.refresh_facts() == 0
    assert RefreshState.objects.get().ticket_floor == newest.pk + 1
    assert served.pk < newest.pk


def _appointment(z: dict[str, Any], status: str, start: dt.datetime) -> Appointment:
    appointment = Appointment.objects.create(
        location=z["ac"],
        department=z["bz"],
        desk=z["balie1"],
        start=start,
        end=start + dt.timedelta(minutes=15),
        status=status,
        persons=2,
        channel="phone",
        name="Jan Peeters",
        email="jan@example.org",
        created_at=clock.now() - dt.timedelta(days=10),
        cancelled_at=clock.now() if status == "cancelled" else None,
        token_hash="x",
    )
    AppointmentProduct.objects.create(
        appointment=appointment, product=Product.objects.get(slug="reispas-aanvragen")
    )
    return appointment


def test_cancelled_and_no_show_appointments_become_facts_and_survive_retention(zonnedoorn):
    z = zonnedoorn
    start = dt.datetime(2027, 3, 22, 14, 0, tzinfo=clock.BRUSSELS)
    cancelled = _appointment(z, "cancelled", start)
    missed = _appointment(z, "no_show", start + dt.timedelta(hours=1))
    ticket = _serve(z)

    assert services.refresh_facts() == 3
    rows = sorted(Visit.objects.values_list("origin", "outcome", "persons", "hour"))
    assert rows == [
        ("appointment", "cancelled", 2, 14),
        ("appointment", "no_show", 2, 15),
        ("ticket", "served", 1, 10),
    ]
    assert (
        not Visit.objects.filter(origin="appointment")
        .exclude(origin_id__in=[cancelled.pk, missed.pk])
        .exists()
    )

    # Retention anonymises the appointments a month later; a ticket may even be deleted.
    z["traveller"].shift(dt.timedelta(days=40))
    assert retention.anonymise_expired() == 2
    ticket.delivered.all().delete()
    ticket.notes.all().delete()
    Ticket.objects.filter(pk=ticket.pk).delete()
    assert services.refresh_facts() == 0
    assert Visit.objects.count() == 3
    assert sum(HourlyRollup.objects.values_list("visits", flat=True)) == 3


def test_rebuilding_the_rollups_gives_what_the_increments_gave(zonnedoorn):
    z = zonnedoorn
    _serve(z)
    _appointment(z, "no_show", dt.datetime(2027, 3, 22, 9, 0, tzinfo=clock.BRUSSELS))
    services.refresh_facts()
    fields = ["service_day", "hour", "location_id", "product_id", "channel", "visits", "no_shows"]
    incremental = sorted(HourlyRollup.objects.values_list(*fields))

    assert services.rebuild_rollups() == 2

    assert sorted(HourlyRollup.objects.values_list(*fields)) == incremental
