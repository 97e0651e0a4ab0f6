"""Advice: the pure rules, the wording, and the API."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from onthaal.reporting import advice, advisor, erlang

TARGET = erlang.Target(900, 0.8)


def _cell(weekday, hour, arrivals, minutes=10.0, planned=2, open_=True):
    return advice.Cell(weekday, hour, arrivals, minutes, planned, open_)


def test_quiet_hours_shortages_and_quick_counter_candidates():
    cells = [
        _cell(1, 16, 1.2),
        _cell(1, 17, 1.0),  # Tuesday 16-18: quiet
        _cell(0, 9, 30.0),
        _cell(0, 10, 32.0),  # Monday 9-11: 30 visitors of 10 min need 7
        _cell(2, 9, 6.0, planned=2),  # Wednesday 9: fine
    ]
    needs = advice.needs(cells, TARGET)

    suggestions = advice.advise(needs, [(7, 0.4, 3.0), (8, 0.3, 14.0)])

    kinds = [(s.kind, s.weekday, s.start_hour, s.end_hour) for s in suggestions]
    assert kinds == [("short", 0, 9, 11), ("quick", 0, 0, 0), ("quiet", 1, 16, 18)]
    assert suggestions[0].desks_needed == max(n.desks_needed for n in needs[2:4])
    assert suggestions[0].planned_desks == 2
    assert suggestions[1].product_id == 7
    assert suggestions[2].arrivals_per_hour == pytest.approx(1.1)


def test_wording_in_dutch():
    quiet = advice.Suggestion("quiet", 1, 16, 18, arrivals_per_hour=1.2)
    short = advice.Suggestion("short", 0, 9, 11, desks_needed=3, planned_desks=2)
    quick = advice.Suggestion("quick", product_id=5, share=0.4, service_minutes=3)

    with translation.override("nl"):
        texts = [advisor.wording(s, {5: "Identiteitskaart afhalen"}) for s in (quiet, short, quick)]

    assert texts == [
        "dinsdag 16–18 u: 1,2 bezoekers per uur — sluiten of enkel op afspraak",  # noqa: RUF001
        "maandag 9–11 u: 3 balies nodig, 2 gepland",  # noqa: RUF001
        "Identiteitskaart afhalen: 40% van de bezoeken, 3,0 minuten — kandidaat voor de "
        "snelbalie of een afhaalkastje",
    ]


@pytest.mark.django_db
def test_the_advice_api(history):
    client = APIClient()
    client.force_login(history["users"]["teamlead"])

    response = client.get("/api/v1/reports/advice/", {"from": "2027-01-12", "to": "2027-03-22"})

    assert response.status_code == 200
    places = response.json()
    assert [(p["location"], p["department"]) for p in places] == [
        (history["ac"].pk, history["bz"].pk)
    ]
    hours = places[0]["hours"]
    monday_10 = next(h for h in hours if (h["weekday"], h["hour"]) == (0, 10))
    assert monday_10["open"] is True
    assert monday_10["arrivals_per_hour"] > 0
    assert monday_10["desks_needed"] >= 1
    assert monday_10["planned_desks"] == 5  # Balie 1-4 and the quick counter serve Burgerzaken
    assert all(s["text"] for s in places[0]["suggestions"])
    refused = APIClient()
    refused.force_login(history["users"]["balie"])
    assert refused.get("/api/v1/reports/advice/").status_code == 403
