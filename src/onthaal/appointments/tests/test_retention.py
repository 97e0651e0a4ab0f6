"""Retention that really runs (issue #10, finding 5): 31 days after a visit — served, no-show,
cancelled or moved — no name, e-mail address or phone number is left anywhere in the
database; and the no-show rule still recognises the citizen (a keyed hash of the normalised
contact, per department, only for the rule's period)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from onthaal.appointments import contact, notify, retention, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.appointments.tests.test_booking import WEDNESDAY_9, book, request
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.queue import alerts
from onthaal.queue import services as queue
from onthaal.queue.models import Ticket
from onthaal.reporting import survey

pytestmark = pytest.mark.django_db

PEOPLE = {
    "served": ("Griet Vanlommel", "Griet.Vanlommel@example.org", "+32 471 98 76 54"),
    "no_show": ("Bavo Dewilde", "bavo.dewilde@example.org", "0472 11 22 33"),
    "cancelled": ("Fien Verhaegen", "fien.verhaegen@example.org", "+32 473 44 55 66"),
    "moved": ("Rik Vandamme", "rik.vandamme@example.org", "+32 474 77 88 99"),
}


def needles(name: str, email: str, phone: str) -> list[str]:
    """How a person could be left behind: the name and the surname, the address, the number
    as typed and as digits."""
    digits = "".join(c for c in phone if c.isdigit())
    return [name, name.split()[-1], email.lower(), email.split("@")[0].lower(), phone, digits[-9:]]


def everything_in_the_database() -> list[tuple[str, str, str]]:
    """(table, column, value as text) of every non-empty value of every table."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # table names from the schema
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                found.extend(
                    (table, column, str(value))
                    for column, value in zip(columns, row, strict=True)
                    if value not in (None, "")
                )
    return found


def left_behind(people: dict[str, tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    values = everything_in_the_database()
    return [
        (who, table, column, needle)
        for who, person in people.items()
        for needle in needles(*person)
        for table, column, value in values
        if needle.lower() in value.lower()
    ]


def serve(z: dict[str, Any], appointment: Appointment, *, with_alert: bool) -> Ticket:
    """Check in, (leave an alert contact on the ticket,) call, start and finish at Balie 1."""
    kiosk, agent, desk = z["users"]["onthaal"], z["users"]["balie"], z["balie1"]
    checked = services.check_in(reference=appointment.reference, location=z["ac"], actor=kiosk)
    ticket = Ticket.objects.get(pk=checked.ticket_id)
    if with_alert:  # the citizen asks to be warned at the same address and number
        alerts.register(ticket=ticket, email=appointment.email, phone=appointment.phone)
        alerts.enqueue_turn_alerts()
    queue.open_desk(desk=desk, actor=agent)
    called = queue.call_next(desk=desk, actor=agent)
    assert called is not None and called.pk == ticket.pk
    queue.start(ticket=queue.get_ticket(ticket.pk), desk=desk, actor=agent)
    eid = Product.objects.get(slug="eid-aanvragen")
    queue.finish(ticket=queue.get_ticket(ticket.pk), desk=desk, actor=agent, delivered={eid.pk: 1})
    return ticket


def test_31_days_after_a_served_a_no_show_a_cancelled_and_a_moved_visit_no_one_is_left(
    zonnedoorn,
):
    z = zonnedoorn
    times = [WEDNESDAY_9.replace(hour=h, minute=m) for h, m in ((9, 0), (10, 0), (11, 0), (11, 30))]
    # Griet (served) agrees to the survey by e-mail after her visit: its invitation carries
    # her name and address too.
    booked = {
        key: book(
            z, start=start, name=name, email=email, phone=phone, survey_opt_in=key == "served"
        )[0]
        for start, (key, (name, email, phone)) in zip(times, PEOPLE.items(), strict=True)
    }
    for appointment in booked.values():
        notify.confirmation(appointment, "https://example.org/manage")
    services.cancel(appointment=booked["cancelled"])
    moved = services.reschedule(
        appointment=booked["moved"], start=WEDNESDAY_9.replace(day=25, hour=10)
    )
    notify.change(moved)
    assert notify.send_due() >= 4
    z["traveller"].move_to(WEDNESDAY_9 - dt.timedelta(minutes=10))
    ticket = serve(z, booked["served"], with_alert=True)
    assert survey.invite_opted_in() == 1 and notify.send_due() >= 1
    invitation = Notification.objects.get(kind=Notification.Kind.SURVEY)
    assert invitation.status == Notification.State.SENT and "Griet" in invitation.body
    kiosk, agent = z["users"]["onthaal"], z["users"]["balie"]
    z["traveller"].move_to(WEDNESDAY_9.replace(hour=9, minute=55))
    missed = services.check_in(reference=booked["no_show"].reference, location=z["ac"], actor=kiosk)
    assert queue.call_next(desk=z["balie1"], actor=agent).pk == missed.ticket_id
    queue.no_show(ticket=queue.get_ticket(missed.ticket_id), desk=z["balie1"], actor=agent)
    statuses = {k: Appointment.objects.get(pk=a.pk).status for k, a in booked.items()}
    assert statuses == {
        "served": Status.DONE,
        "no_show": Status.NO_SHOW,
        "cancelled": Status.CANCELLED,
        "moved": Status.BOOKED,  # moved: the same appointment at its new time
    }
    assert Ticket.objects.get(pk=ticket.pk).alert_email == ""  # forgotten when it closed
    assert left_behind(PEOPLE)  # the test finds them before retention runs

    # The worker's minute jobs, 31 days after the last of these visits (the moved one).
    z["traveller"].move_to(moved.end + dt.timedelta(days=31))
    services.mark_no_shows()  # the moved one was never checked in either
    notify.forget_ticket_recipients()
    assert retention.anonymise_expired() == 4

    assert left_behind(PEOPLE) == []
    kept = Appointment.objects.order_by("pk")
    assert all(a.anonymised_at is not None for a in kept)
    assert [a.contact_key != "" for a in kept] == [False, True, False, True]
    assert all(m.recipient == m.body == "" for m in Notification.objects.filter(ticket=None))
    assert not Appointment.objects.filter(survey_opt_in_at__isnull=False).exists()


def first_free(req: services.Request) -> dt.datetime:
    return services.next_free(req, clock.now() + dt.timedelta(days=1), count=1)[0].start


def test_the_no_show_rule_survives_anonymisation_per_department_and_for_its_period(zonnedoorn):
    z = zonnedoorn
    burgerzaken = request(z)
    omgeving = services.build_request(
        location=z["ac"], products=[Product.objects.get(slug="omgevingsvergunning-info")]
    )
    for hour in (9, 10, 11):
        services.book(
            request=burgerzaken,
            start=WEDNESDAY_9.replace(hour=hour),
            name="Jan Peeters",
            email="Jan.Peeters@Example.org",
        )
    z["traveller"].move_to(WEDNESDAY_9.replace(hour=12))
    assert services.mark_no_shows() == 3  # Jan came to none of them
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(days=31))
    assert retention.anonymise_expired() == 3
    assert not Appointment.objects.exclude(email="").exists()
    assert set(Appointment.objects.values_list("contact_key", flat=True)) == {
        contact.contact_key("jan.peeters@example.org", "")
    }

    # Written otherwise (case, a +tag): still Jan, still asked to call, in Burgerzaken.
    with pytest.raises(services.DomainError) as refused:
        services.book(
            request=burgerzaken,
            start=first_free(burgerzaken),
            name="Jan Peeters",
            email="JAN.PEETERS+afspraak@example.org",
        )
    assert refused.value.code == "call_us"
    assert Appointment.objects.count() == 3
    # Omgeving has its own count: nothing missed there.
    elsewhere, _ = services.book(
        request=omgeving,
        start=first_free(omgeving),
        name="Jan Peeters",
        email="jan.peeters@example.org",
    )
    assert elsewhere.status == Status.BOOKED

    # Six months (the department's period) after the no-shows, the rule forgets them...
    z["traveller"].move_to(WEDNESDAY_9 + dt.timedelta(days=30 * 6 + 1))
    retention.anonymise_expired()
    assert not Appointment.objects.filter(status=Status.NO_SHOW).exclude(contact_key="").exists()
    # ...and Jan books online again.
    again, _ = services.book(
        request=burgerzaken,
        start=first_free(burgerzaken),
        name="Jan Peeters",
        email="jan.peeters+afspraak@example.org",
    )
    assert again.status == Status.BOOKED


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (("Jan@Example.org", ""), ("jan+werk@example.org", "")),
        (("", "0470 12 34 56"), ("", "+32 470 12 34 56")),
        (("", "0032 470 12.34.56"), ("", "+32470123456")),
    ],
)
def test_one_contact_written_two_ways_has_one_key(one, other):
    assert contact.contact_key(*one) == contact.contact_key(*other) != ""


def test_the_key_is_keyed_with_the_secret_not_a_plain_hash(settings):
    import hashlib

    first = contact.contact_key("jan@example.org", "")
    assert first != hashlib.sha256(b"email:jan@example.org").hexdigest()
    settings.SECRET_KEY = "another secret"
    assert contact.contact_key("jan@example.org", "") != first


def test_the_limit_per_contact_keeps_no_address_and_sees_through_a_tag():
    from django.core.cache import cache

    from onthaal.appointments import limits

    cache.clear()
    for n in range(limits.PER_CONTACT[0]):
        limits.check(ip=None, contact=f"jan.peeters+{n}@example.org")
    with pytest.raises(limits.TooMany):
        limits.check(ip=None, contact="Jan.Peeters@Example.org")
    keys = " ".join(str(k) for k in cache._cache)  # type: ignore[attr-defined]  # LocMemCache
    assert "onthaal:booking:contact:" in keys and "peeters" not in keys.lower()
    cache.clear()
