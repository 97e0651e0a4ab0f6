"""Registering a sickness handles every appointment that loses its person exactly once: moved
to a free colleague with the same skills, or the citizen asked to pick another time; and the
availability stops offering the sick person's desk at once."""

from __future__ import annotations

import pytest

from onthaal.appointments import services as appointments
from onthaal.appointments.models import Appointment, Notification
from onthaal.audit.models import AuditEvent
from onthaal.catalogue.models import Product
from onthaal.organisation.models import Desk
from onthaal.staffing import services
from onthaal.staffing.models import AffectedAppointment
from onthaal.staffing.tests.data import WEDNESDAY, at, person, plan, roster

pytestmark = pytest.mark.django_db


def test_a_sickness_moves_or_notifies_each_appointment_exactly_once(zonnedoorn, client):
    lead = zonnedoorn["users"]["teamlead"]
    sick = person("sick", "burgerzaken", "eid-aanvragen")
    colleague = person("colleague", "burgerzaken", "eid-aanvragen")
    r = roster()
    plan(r, sick, "Balie 1", WEDNESDAY, "08:30", "12:00")
    plan(r, colleague, "Balie 2", WEDNESDAY, "08:30", "12:00")
    booking = appointments.build_request(
        location=zonnedoorn["ac"], products=[Product.objects.get(slug="eid-aanvragen")]
    )

    def book(time: str, name: str) -> Appointment:
        made, _ = appointments.book(
            request=booking, start=at(WEDNESDAY, time), name=name, email=f"{name}@example.org"
        )
        return made

    first_9 = book("09:00", "an")  # Balie 1
    book("09:00", "bo")  # Balie 2: the colleague is busy at 9
    first_10 = book("10:00", "cis")  # Balie 1 (fewest appointments, lowest id)
    balie1 = Desk.objects.get(location=zonnedoorn["ac"], name="Balie 1")
    assert first_9.desk_id == first_10.desk_id == balie1.pk
    Notification.objects.all().delete()

    result = services.register_absence(
        actor=lead,
        user=sick,
        kind="sickness",
        start=at(WEDNESDAY, "08:00"),
        end=at(WEDNESDAY, "17:00"),
        site="https://onthaal.example",
    )

    assert [a.reference for a in result.moved] == [first_10.reference]
    assert [a.reference for a in result.notified] == [first_9.reference]
    first_10.refresh_from_db()
    first_9.refresh_from_db()
    assert first_10.desk.name == "Balie 2" and first_10.start == at(WEDNESDAY, "10:00")
    assert first_10.sequence == 1 and first_9.desk_id == balie1.pk
    messages = list(Notification.objects.order_by("kind").values_list("appointment_id", "kind"))
    assert messages == [(first_10.pk, "change"), (first_9.pk, "rebook")]
    rebook = Notification.objects.get(kind="rebook")
    assert f"https://onthaal.example/afspraak/{first_9.reference}" in rebook.body or (
        "https://onthaal.example/" in rebook.body and first_9.reference in rebook.body
    )
    assert AffectedAppointment.objects.count() == 2
    assert (
        AuditEvent.objects.filter(object_type="staffing.absence", action="transition").count() == 2
    )

    # Handling them again (a second run, a retry) sends nothing more.
    for appointment in (first_9, first_10):
        assert services._handle_affected(result.absence, appointment, lead, "https://x") == ""
    assert Notification.objects.count() == 2

    # The availability API stops offering the sick person's desk at once.
    response = client.get(
        "/api/v1/availability/",
        {
            "product": "eid-aanvragen",
            "location": "administratief-centrum",
            "from": WEDNESDAY.isoformat(),
            "to": WEDNESDAY.isoformat(),
        },
    )
    assert response.status_code == 200
    found = appointments.availability(booking, WEDNESDAY, WEDNESDAY)
    assert found and all(balie1.pk not in s.resource_ids for s in found)


def test_an_absence_with_a_bad_period_or_kind_writes_nothing(zonnedoorn):
    from onthaal.core.errors import DomainError
    from onthaal.staffing.models import Absence

    sick = person("sick", "burgerzaken", "eid-aanvragen")
    with pytest.raises(DomainError) as error:
        services.register_absence(
            actor=None,
            user=sick,
            kind="sickness",
            start=at(WEDNESDAY, "12:00"),
            end=at(WEDNESDAY, "08:00"),
        )
    assert "end" in error.value.fields
    with pytest.raises(DomainError) as error:
        services.register_absence(
            actor=None,
            user=sick,
            kind="holiday",
            start=at(WEDNESDAY, "08:00"),
            end=at(WEDNESDAY, "12:00"),
        )
    assert "kind" in error.value.fields
    assert Absence.objects.filter(user=sick).count() == 0
