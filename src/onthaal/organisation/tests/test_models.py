"""Desk schedules and absences: the database keeps them well-formed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from onthaal.core.clock import BRUSSELS
from onthaal.organisation.models import Desk, DeskAbsence, DeskSchedule, Location

pytestmark = pytest.mark.django_db

MONDAY_9 = dt.datetime(2027, 3, 29, 9, 0, tzinfo=BRUSSELS)


@pytest.fixture
def desk() -> Desk:
    location = Location.objects.create(name="Administratief Centrum", slug="ac")
    return Desk.objects.create(location=location, name="Balie 1")


def test_a_schedule_window_ends_after_it_starts_on_a_real_weekday(desk):
    for bad in (
        DeskSchedule(desk=desk, weekday=0, start=dt.time(12), end=dt.time(9)),
        DeskSchedule(desk=desk, weekday=0, start=dt.time(9), end=dt.time(9)),
        DeskSchedule(desk=desk, weekday=7, start=dt.time(9), end=dt.time(12)),
        DeskSchedule(
            desk=desk,
            weekday=0,
            start=dt.time(9),
            end=dt.time(12),
            valid_from=dt.date(2027, 4, 1),
            valid_until=dt.date(2027, 3, 1),
        ),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            bad.save()
    assert not DeskSchedule.objects.exists()


@translation.override("en")
def test_the_admin_form_names_the_problem(desk):
    window = DeskSchedule(desk=desk, weekday=0, start=dt.time(12), end=dt.time(9))
    with pytest.raises(ValidationError) as invalid:
        window.full_clean()
    assert "The end time must be after the start time." in str(invalid.value)
    absence = DeskAbsence(desk=desk, start=MONDAY_9, end=MONDAY_9)
    with pytest.raises(ValidationError) as invalid:
        absence.full_clean()
    assert "The absence must end after it starts." in str(invalid.value)


def test_an_absence_ends_after_it_starts(desk):
    with pytest.raises(IntegrityError), transaction.atomic():
        DeskAbsence.objects.create(desk=desk, start=MONDAY_9, end=MONDAY_9 - dt.timedelta(hours=1))
    assert not DeskAbsence.objects.exists()


def test_validity_and_local_display(desk):
    always = DeskSchedule.objects.create(desk=desk, weekday=0, start=dt.time(9), end=dt.time(12))
    spring = DeskSchedule(
        desk=desk,
        weekday=0,
        start=dt.time(9),
        end=dt.time(12),
        valid_from=dt.date(2027, 3, 1),
        valid_until=dt.date(2027, 5, 31),
    )
    assert always.valid_on(dt.date(2000, 1, 3)) and always.valid_on(dt.date(2099, 1, 5))
    assert spring.valid_on(dt.date(2027, 3, 1)) and spring.valid_on(dt.date(2027, 5, 31))
    assert not spring.valid_on(dt.date(2027, 2, 28)) and not spring.valid_on(dt.date(2027, 6, 1))
    absence = DeskAbsence.objects.create(
        desk=desk, start=MONDAY_9, end=MONDAY_9 + dt.timedelta(hours=3)
    )
    absence.refresh_from_db()  # read back in UTC, shown in local time
    assert str(absence) == "Balie 1 (Administratief Centrum): 2027-03-29 09:00 - 2027-03-29 12:00"
    assert str(always).endswith("09:00-12:00")
