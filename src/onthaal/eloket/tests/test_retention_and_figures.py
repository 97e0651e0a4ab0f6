"""The rest of the product knows the e-loket: each finished request is a fact of channel
e-loket in the figures, and retention anonymises it 30 days after it was closed or rejected."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from onthaal.eloket import retention, services
from onthaal.eloket.models import Notification, Request, RequestMessage, Status
from onthaal.reporting.models import Visit
from onthaal.reporting.services import refresh_facts

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def _finished(world, to):  # type: ignore[no-untyped-def]
    filed, token = services.submit_request(
        product=world.strafregister,
        answers={"nn": "85.07.30-033.28", "purpose": "werk bij Jan Peeters"},
        email="jan.peeters@example.org",
    )
    if to == Status.CLOSED:
        services.transition(actor=world.agent, request=filed, to=Status.READY, message="Klaar")
        services.transition(actor=world.agent, request=filed, to=Status.CLOSED)
    else:
        services.transition(actor=world.agent, request=filed, to=to, message="Jan Peeters: nee")
    return filed, token


def test_each_finished_request_is_one_e_loket_fact(world, time_machine) -> None:
    world.burgerzaken.locations.create(name="AC", slug="ac")
    time_machine.move_to(T0, tick=False)
    closed, _t = _finished(world, Status.CLOSED)
    rejected, _t = _finished(world, Status.REJECTED)
    still_open, _t = services.submit_request(
        product=world.attest, answers={"name": "x", "reason": "werk"}, email="a@example.org"
    )
    time_machine.move_to(T0 + dt.timedelta(hours=2), tick=False)
    assert refresh_facts() == 2
    assert refresh_facts() == 0
    facts = {v.origin_id: v for v in Visit.objects.filter(origin="eloket")}
    assert set(facts) == {closed.pk, rejected.pk}
    assert {v.channel for v in facts.values()} == {"eloket"}
    assert (facts[closed.pk].outcome, facts[rejected.pk].outcome) == ("served", "cancelled")
    assert facts[closed.pk].hour == 10  # 09:00 UTC is 10:00 in Brussels in November
    services.transition(actor=world.agent, request=still_open, to=Status.REJECTED, message="n")
    assert refresh_facts() == 1


def test_31_days_after_closing_nothing_personal_is_left(world, time_machine) -> None:
    time_machine.move_to(T0, tick=False)
    closed, token = _finished(world, Status.CLOSED)
    rejected, _t = _finished(world, Status.REJECTED)
    kept_open, _t = services.submit_request(
        product=world.attest, answers={"name": "Jan Peeters", "reason": "werk"},
        email="jan.peeters@example.org",
    )  # fmt: skip
    time_machine.move_to(T0 + dt.timedelta(days=29), tick=False)
    assert retention.anonymise_expired() == 0
    time_machine.move_to(T0 + dt.timedelta(days=31), tick=False)
    assert retention.anonymise_expired() == 2
    for request in Request.objects.filter(pk__in=[closed.pk, rejected.pk]):
        assert request.answers == {} and request.email == "" and request.national_number == ""
        assert request.anonymised_at is not None
    assert not RequestMessage.objects.filter(request__in=[closed, rejected]).exclude(body="")
    assert not Notification.objects.filter(request__in=[closed, rejected]).exclude(recipient="")
    with pytest.raises(services.NotFound):
        services.by_token(closed.reference, token)
    assert Request.objects.get(pk=kept_open.pk).email == "jan.peeters@example.org"
    # No column of the e-loket's tables still holds the name, the address or the number.
    with connection.cursor() as cursor:
        for table in ("eloket_request", "eloket_requestmessage", "eloket_notification"):
            cursor.execute(f"SELECT * FROM {table}")
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                values = dict(zip(columns, row, strict=True))
                request_id = values.get("request_id", values.get("id"))
                if request_id == kept_open.pk:
                    continue
                text = " ".join(str(v) for v in values.values())
                for secret in ("Jan Peeters", "jan.peeters@example.org", "85073003328"):
                    assert secret not in text, (table, values)
