"""The visit lifecycle through the services: numbering, calling, serving, hand-off, end of day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from onthaal.audit.models import AuditEvent
from onthaal.audit.services import flush_pending_refusals
from onthaal.catalogue.models import Product
from onthaal.core.clock import BRUSSELS
from onthaal.core.errors import AccessDenied, Conflict, DomainError
from onthaal.queue import selectors, services
from onthaal.queue.models import DeliveredProduct, Source, Status, Ticket

pytestmark = pytest.mark.django_db


def issue(z: dict[str, Any], queue: str = "burgerzaken", **kw: Any) -> Ticket:
    kw.setdefault("source", Source.KIOSK)
    return services.issue_ticket(
        location=z[queue].location, queue=z[queue], actor=z["users"]["onthaal"], **kw
    )


def open_at(z: dict[str, Any], desk: str, user: str) -> Any:
    services.open_desk(desk=z[desk], actor=z["users"][user])
    return z["users"][user]


def test_numbers_follow_each_other_per_location_and_day_with_the_queue_prefix(zonnedoorn):
    z = zonnedoorn
    first, second = issue(z), issue(z, "snel")
    assert (first.code, second.code) == ("B001", "S002")
    assert first.service_day == dt.date(2027, 3, 23)
    event = AuditEvent.objects.get(object_type="queue.ticket", object_id=str(first.pk))
    assert event.details["transition"] == "issue"


def test_numbering_restarts_on_the_next_local_service_day(zonnedoorn):
    z = zonnedoorn
    issue(z)
    # 23:30 UTC on Tuesday is already Wednesday 00:30 in Brussels.
    with time_machine.travel(dt.datetime(2027, 3, 23, 23, 30, tzinfo=dt.UTC), tick=False):
        ticket = services.issue_ticket(
            location=z["ac"],
            queue=z["burgerzaken"],
            source=Source.RECEPTION,
            actor=z["users"]["onthaal"],
            check_hours=False,
        )
    assert (ticket.service_day, ticket.code) == (dt.date(2027, 3, 24), "B001")


def test_kiosk_is_refused_when_walk_in_is_closed_and_says_when_it_opens(zonnedoorn):
    z = zonnedoorn
    afternoon = dt.datetime(2027, 3, 23, 14, 0, tzinfo=BRUSSELS)
    with time_machine.travel(afternoon, tick=False), pytest.raises(DomainError) as refused:
        issue(z)
    assert refused.value.code == "closed"
    assert "24/03 08:30" in refused.value.message
    assert Ticket.objects.count() == 0


def test_a_product_of_another_queue_is_refused(zonnedoorn):
    z = zonnedoorn
    other = Product.objects.exclude(queues=z["burgerzaken"]).first()
    with pytest.raises(DomainError) as refused:
        issue(z, products=[other])
    assert "products" in refused.value.fields
    assert Ticket.objects.count() == 0


def test_a_desk_calls_its_own_queue_in_order_and_never_another_queue(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    snel = issue(z, "snel")
    first = issue(z)
    z["traveller"].shift(60)
    second = issue(z)
    called = services.call_next(desk=z["balie1"], actor=agent)
    assert called is not None and called.pk == first.pk
    assert called.status == Status.CALLED and called.desk == z["balie1"]
    services.finish(ticket=called, desk=z["balie1"], actor=agent)
    assert services.call_next(desk=z["balie1"], actor=agent).pk == second.pk
    services.finish(ticket=Ticket.objects.get(pk=second.pk), desk=z["balie1"], actor=agent)
    assert services.call_next(desk=z["balie1"], actor=agent) is None
    assert Ticket.objects.get(pk=snel.pk).status == Status.WAITING


def test_priority_goes_first(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    issue(z)
    z["traveller"].shift(60)
    urgent = issue(z, priority=True)
    assert services.call_next(desk=z["balie1"], actor=agent).pk == urgent.pk


def test_a_desk_must_finish_before_calling_again_and_cannot_call_while_paused(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    issue(z)
    issue(z)
    services.call_next(desk=z["balie1"], actor=agent)
    with pytest.raises(Conflict):
        services.call_next(desk=z["balie1"], actor=agent)
    assert Ticket.objects.filter(status=Status.CALLED).count() == 1
    current = services.current_ticket(z["balie1"])
    services.finish(ticket=current, desk=z["balie1"], actor=agent)
    services.set_desk_state(desk=z["balie1"], actor=agent, state="paused")
    with pytest.raises(DomainError) as paused:
        services.call_next(desk=z["balie1"], actor=agent)
    assert paused.value.code == "desk_paused"


def test_serving_records_times_and_delivered_products_and_refuses_a_double_finish(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    issue(z)
    ticket = services.call_next(desk=z["balie1"], actor=agent)
    z["traveller"].shift(30)
    ticket = services.recall(ticket=ticket, desk=z["balie1"], actor=agent)
    assert ticket.recalls == 1
    ticket = services.start(ticket=ticket, desk=z["balie1"], actor=agent)
    z["traveller"].shift(300)
    id_card = Product.objects.get(slug="eid-aanvragen")
    ticket = services.finish(
        ticket=ticket, desk=z["balie1"], actor=agent, delivered={id_card.pk: 2}
    )
    assert ticket.status == Status.DONE and ticket.service_seconds == 300
    assert DeliveredProduct.objects.get(ticket=ticket).quantity == 2
    with pytest.raises(Conflict):
        services.finish(ticket=ticket, desk=z["balie1"], actor=agent, delivered={id_card.pk: 1})
    assert DeliveredProduct.objects.get(ticket=ticket).quantity == 2


def test_bad_quantities_are_refused_and_nothing_changes(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    issue(z)
    ticket = services.call_next(desk=z["balie1"], actor=agent)
    for delivered in ({999999: 1}, {Product.objects.first().pk: 99}):
        with pytest.raises(DomainError):
            services.finish(ticket=ticket, desk=z["balie1"], actor=agent, delivered=delivered)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CALLED
    assert not DeliveredProduct.objects.exists()


def test_a_desk_agent_of_burgerzaken_cannot_work_at_a_social_service_room(zonnedoorn):
    z = zonnedoorn
    with pytest.raises(AccessDenied):
        services.open_desk(desk=z["room1"], actor=z["users"]["balie"])
    flush_pending_refusals()
    assert AuditEvent.objects.filter(action="permission_denied").exists()


def test_hand_off_to_a_named_social_worker_with_a_note_only_they_can_read(zonnedoorn):
    z = zonnedoorn
    reception = z["users"]["onthaal"]
    ticket = services.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=reception,
        check_hours=False,
    )
    services.issue_ticket(
        location=z["sh"],
        queue=z["social"],
        source=Source.RECEPTION,
        actor=reception,
        check_hours=False,
    )
    mira = z["users"]["mw"]
    ticket = services.transfer(
        ticket=ticket, actor=reception, to_user=mira, note="Vraagt naar energiepremie."
    )
    assert ticket.status == Status.WAITING and ticket.assigned_user == mira
    # Mira gets it first (personal hand-off); the note is hers to read, and reading is logged.
    services.open_desk(desk=z["room1"], actor=mira)
    called = services.call_next(desk=z["room1"], actor=mira)
    assert called.pk == ticket.pk
    assert [n.text for n in selectors.notes_for(called, mira)] == ["Vraagt naar energiepremie."]
    assert AuditEvent.objects.filter(object_type="queue.handoffnote", action="view").exists()
    # Burgerzaken staff and an administration-wide manager do not see it.
    assert selectors.notes_for(called, z["users"]["balie"]) == []
    assert selectors.notes_for(called, z["users"]["manager"]) == []


def test_transfer_to_a_closed_desk_or_an_outsider_is_refused_and_nothing_changes(zonnedoorn):
    z = zonnedoorn
    ticket = issue(z)
    with pytest.raises(DomainError) as refused:
        services.transfer(ticket=ticket, actor=z["users"]["onthaal"], to_desk=z["balie2"])
    assert "desk" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        services.transfer(ticket=ticket, actor=z["users"]["onthaal"], to_user=z["users"]["mw"])
    assert "user" in refused.value.fields
    ticket.refresh_from_db()
    assert (ticket.transfers, ticket.assigned_user, ticket.assigned_desk) == (0, None, None)


def test_a_transfer_from_a_desk_keeps_the_number_and_goes_to_the_other_queue(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    issue(z)
    ticket = services.call_next(desk=z["balie1"], actor=agent)
    ticket = services.transfer(ticket=ticket, actor=agent, queue=z["snel"], from_desk=z["balie1"])
    assert (ticket.code, ticket.queue, ticket.status, ticket.desk) == (
        "B001",
        z["snel"],
        Status.WAITING,
        None,
    )
    assert services.current_ticket(z["balie1"]) is None


def test_end_of_day_closes_what_is_still_open(zonnedoorn):
    z = zonnedoorn
    agent = open_at(z, "balie1", "balie")
    waiting = issue(z)
    issue(z)
    called = services.call_next(desk=z["balie1"], actor=agent)
    z["traveller"].move_to(dt.datetime(2027, 3, 24, 7, 0, tzinfo=BRUSSELS))
    assert services.close_day() == 2
    assert Ticket.objects.get(pk=called.pk).status == Status.NO_SHOW
    assert Ticket.objects.get(pk=waiting.pk).status in (Status.CANCELLED, Status.NO_SHOW)
    assert not Ticket.objects.filter(status__in=["waiting", "called", "serving"]).exists()


def test_ticket_status_gives_the_position_and_an_estimate(zonnedoorn):
    z = zonnedoorn
    issue(z)
    second = issue(z)
    status = selectors.ticket_status(second)
    assert status.position == 1 and status.wait_minutes is None  # no desk open yet
    open_at(z, "balie1", "balie")
    status = selectors.ticket_status(second)
    assert status.wait_minutes == 5  # one ahead, default 5 minutes per visitor, one desk


def test_housekeeping_closes_today_once_the_location_has_closed(zonnedoorn):
    z = zonnedoorn
    issue(z)
    assert services.housekeeping() == 0  # 10:00, open until 16:00 (appointments)
    z["traveller"].move_to(dt.datetime(2027, 3, 23, 16, 20, tzinfo=BRUSSELS))
    assert services.housekeeping() == 0  # within the grace period
    z["traveller"].move_to(dt.datetime(2027, 3, 23, 16, 31, tzinfo=BRUSSELS))
    assert services.housekeeping() == 1
    assert Ticket.objects.get().status == Status.CANCELLED


@pytest.mark.parametrize("seed", range(5))
def test_the_head_of_the_queue_ranks_like_the_whole_queue(zonnedoorn, seed):
    """call-next reads only the head of the queue; its best candidates must be the same as
    when the whole queue is ranked (priorities, appointments, hand-offs, aged tickets) — early
    in the morning when few have waited long, and later when many have."""
    import random

    from onthaal.queue import routing

    z = zonnedoorn
    rnd = random.Random(seed)
    agent = open_at(z, "balie1", "balie")
    view = services.desk_view(z["balie1"], agent.pk)
    start = dt.datetime(2027, 3, 23, 8, 30, tzinfo=BRUSSELS)
    for n in range(1, 81):
        now = start + dt.timedelta(minutes=n * 1.5)
        z["traveller"].move_to(now)
        queue = rnd.choice(["burgerzaken", "burgerzaken", "snel"])
        priority = rnd.random() < 0.2
        ticket = issue(z, queue, source=Source.RECEPTION, check_hours=False, priority=priority)
        if rnd.random() < 0.15:
            ticket.appointment_at = start + dt.timedelta(minutes=rnd.randint(0, 180))
            ticket.save(update_fields=["appointment_at"])
        if rnd.random() < 0.05:
            ticket.assigned_desk = z["balie1"] if rnd.random() < 0.5 else z["balie2"]
            ticket.save(update_fields=["assigned_desk"])
        if n % 20 == 0:
            day = now.astimezone(BRUSSELS).date()
            whole = services.waiting_candidates(z["ac"].pk, day)
            head = services.head_candidates(z["ac"].pk, day, view, now, 16)
            expected = [c.id for c in routing.rank(view, whole, now)[:16]]
            assert [c.id for c in routing.rank(view, head, now)[:16]] == expected
