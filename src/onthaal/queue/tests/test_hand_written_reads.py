"""The hand-written reads and the written-out response of the kiosk and desk requests give
what the ORM and the DRF serializer give (ADR 0006)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models

from onthaal.accounts.models import Membership, Role
from onthaal.accounts.tests.factories import api_token, staff
from onthaal.api.authentication import TokenAuthentication
from onthaal.core import clock
from onthaal.organisation.models import Desk
from onthaal.queue import selectors, services
from onthaal.queue.api import IssuedTicketSerializer, TicketSerializer, ticket_data
from onthaal.queue.models import Queue, Source

pytestmark = pytest.mark.django_db


def _values(instance: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_queue_with_its_place_is_the_queue_the_orm_reads(zonnedoorn):
    expected = Queue.objects.select_related("department", "location").get(
        pk=zonnedoorn["social"].pk
    )
    found = selectors.queue_with_place(expected.pk)
    assert found is not None and _values(found) == _values(expected)
    assert _values(found.department) == _values(expected.department)
    assert _values(found.location) == _values(expected.location)
    assert found.department.confidential  # a converted value, as the ORM gives it
    assert not found._state.adding and found._state.db == "default"
    assert selectors.queue_with_place(expected.pk + 1000) is None


def test_the_token_brings_the_user_and_every_membership_as_the_orm_reads_them(zonnedoorn):
    user = staff(Role.DESK_AGENT, zonnedoorn["burgerzaken"].department)
    Membership.objects.create(user=user, department=None, role=Role.MANAGER)  # all departments
    user.last_login = clock.now()
    user.save()
    key = api_token(user)
    found, token = TokenAuthentication().authenticate_credentials(key)
    assert _values(found) == _values(type(user).objects.get(pk=user.pk))
    assert found.last_login == user.last_login and found.last_login.tzinfo is not None
    memberships = found._onthaal_memberships
    expected = Membership.objects.filter(user=user).select_related("department").order_by("pk")
    assert [_values(m) for m in memberships] == [_values(m) for m in expected]
    assert [m.department and m.department.pk for m in memberships] == [
        zonnedoorn["burgerzaken"].department.pk,
        None,
    ]
    assert all(m.user is found for m in memberships) and token.user is found


def test_the_written_out_ticket_is_what_the_serializer_gives(zonnedoorn):
    z = zonnedoorn
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)
    issued = services.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
        priority=True,
    )
    assert ticket_data(issued, issued=True) == IssuedTicketSerializer(issued).data
    assert ticket_data(issued) == TicketSerializer(issued).data
    z["traveller"].shift(dt.timedelta(minutes=3, microseconds=250))
    called = services.call_next(desk=z["balie1"], actor=agent)
    assert called is not None
    assert ticket_data(called) == TicketSerializer(called).data
    assert ticket_data(called)["desk"] == "Balie 1"
    finished = services.finish(ticket=called, desk=z["balie1"], actor=agent)
    data = ticket_data(finished)
    assert data == TicketSerializer(finished).data
    assert data["finished_at"] is not None and data["status"] == "done"


def test_a_desk_comes_with_its_place_session_queues_and_departments(zonnedoorn):
    z = zonnedoorn
    desk = z["balie1"]
    closed = Queue.objects.create(
        location=z["ac"], department=z["burgerzaken"].department, name="Oud", prefix="ZZ"
    )
    closed.desks.add(desk)
    closed.active = False
    closed.save()
    z["social"].desks.add(desk)  # a queue of a department the desk does not belong to
    never_opened = services.load_desk(desk.pk)
    assert never_opened is not None
    assert _values(never_opened) == _values(desk) and never_opened.location == z["ac"]
    assert services.desk_session(never_opened) is None
    queues = services.served_queues(never_opened)
    expected = desk.queues.filter(active=True).select_related("department").order_by("pk")
    assert list(queues) == [q.pk for q in expected] and closed.pk not in queues
    assert [_values(q.department) for q in queues.values()] == [
        _values(q.department) for q in expected
    ]
    assert services.desk_departments(never_opened) == list(desk.departments.order_by("pk"))

    services.open_desk(desk=desk, actor=z["users"]["balie"])
    opened = services.load_desk(desk.pk)
    assert opened is not None
    session = services.desk_session(opened)
    assert session is not None and _values(session) == _values(desk.session)

    bare = Desk.objects.create(location=z["ac"], name="Lege balie")
    found = services.load_desk(bare.pk)
    assert found is not None
    assert services.served_queues(found) == {} and services.desk_departments(found) == []
    assert services.load_desk(bare.pk + 1000) is None and services.load_desk(2**70) is None
