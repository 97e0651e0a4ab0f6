"""The opening hours as citizens and programs get them: page, JSON-LD, iCal, API."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.core.management import call_command
from icalendar import Calendar
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
NATIONAL_DAY = dt.datetime(2027, 7, 21, 10, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture
def demo():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def _opening_hours(**params):
    return APIClient().get("/api/v1/opening-hours/", params)


def test_api_closes_on_a_public_holiday_with_its_name(demo):
    response = _opening_hours(
        location="administratief-centrum", **{"from": "2027-07-20", "to": "2027-07-22"}
    )
    assert response.status_code == 200
    tuesday, holiday, thursday = response.json()["days"]
    assert holiday == {
        "date": "2027-07-21",
        "closed": True,
        "reason": "Nationale feestdag",
        "holiday": "Nationale feestdag",
        "intervals": [],
    }
    assert tuesday["closed"] is False
    assert {i["channel"] for i in tuesday["intervals"]} == {"walk_in", "appointment", "phone"}
    late = [i for i in thursday["intervals"] if i["channel"] == "appointment"][-1]
    assert late == {
        "start": "2027-07-22T13:30:00+02:00",
        "end": "2027-07-22T19:00:00+02:00",
        "channel": "appointment",
    }


def test_api_gives_holiday_names_in_french_when_asked(demo):
    response = APIClient().get(
        "/api/v1/opening-hours/",
        {"location": "sociaal-huis", "from": "2026-12-25", "to": "2026-12-25"},
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.json()["days"][0]["reason"] == "Noël"


def test_api_shows_local_closure_days_with_their_reason(demo):
    day = _opening_hours(
        location="sociaal-huis", **{"from": "2027-05-07", "to": "2027-05-07"}
    ).json()["days"][0]
    assert (day["closed"], day["reason"], day["holiday"]) == (
        True,
        "Brugdag na O.L.H. Hemelvaart",
        "",
    )


def test_api_department_hours_and_channel_filter(demo):
    body = _opening_hours(
        location="sociaal-huis",
        department="sociale-dienst",
        channel="appointment",
        **{"from": "2027-02-01", "to": "2027-02-01"},
    ).json()
    assert body["department"] == "sociale-dienst"
    assert body["days"][0]["intervals"] == [
        {
            "start": "2027-02-01T13:00:00+01:00",
            "end": "2027-02-01T16:30:00+01:00",
            "channel": "appointment",
        }
    ]


def test_api_a_department_closure_closes_that_department_only(demo):
    """An exception stored for one department (a team day of the Sociale Dienst) closes that
    department's hours; the location and its other departments stay open that day."""
    from onthaal.hours.models import OpeningException
    from onthaal.organisation.models import Department, Location

    OpeningException.objects.create(
        location=Location.objects.get(slug="sociaal-huis"),
        department=Department.objects.get(slug="sociale-dienst"),
        date=dt.date(2027, 2, 1),
        reason="Teamdag Sociale Dienst",
    )
    window = {"location": "sociaal-huis", "from": "2027-02-01", "to": "2027-02-01"}
    own = _opening_hours(department="sociale-dienst", **window).json()["days"][0]
    assert (own["closed"], own["reason"], own["intervals"]) == (
        True,
        "Teamdag Sociale Dienst",
        [],
    )
    location = _opening_hours(**window).json()["days"][0]
    assert location["closed"] is False and location["intervals"]
    assert location["reason"] == ""


def test_api_times_carry_the_right_offset_on_both_dst_sundays(demo):
    body = _opening_hours(
        location="administratief-centrum",
        channel="walk_in",
        **{"from": "2027-03-26", "to": "2027-04-02"},
    ).json()
    starts = [i["start"] for d in body["days"] for i in d["intervals"]]
    assert starts[0] == "2027-03-26T08:30:00+01:00"  # Friday before, winter time
    assert "2027-03-30T08:30:00+02:00" in starts  # Tuesday after (Monday is Easter Monday)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "location"),
        ({"location": "nowhere"}, "location"),
        ({"location": "99999"}, "location"),
        ({"location": "sociaal-huis", "from": "2027-02-30"}, "from"),
        ({"location": "sociaal-huis", "from": "yesterday"}, "from"),
        ({"location": "sociaal-huis", "from": "2027-03-10", "to": "2027-03-01"}, "to"),
        ({"location": "sociaal-huis", "from": "2027-01-01", "to": "2029-01-01"}, "to"),
        ({"location": "sociaal-huis", "channel": "fax"}, "channel"),
        ({"location": "sociaal-huis", "department": "nope"}, "department"),
        ({"location": "administratief-centrum", "department": "sociale-dienst"}, "department"),
    ],
)
def test_api_bad_input_is_a_400_with_a_field_message(demo, params, field):
    response = _opening_hours(**params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"][field][0]["message"]


def test_page_says_closed_on_a_holiday_with_its_name(demo, client):
    with time_machine.travel(NATIONAL_DAY, tick=False):
        response = client.get("/locations/administratief-centrum/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Nationale feestdag") >= 2  # today, and in the week table
    assert 'aria-current="date"' in html


def test_page_embeds_json_ld_that_parses(demo, client):
    with time_machine.travel(NATIONAL_DAY - dt.timedelta(days=2), tick=False):
        html = client.get("/locations/administratief-centrum/").content.decode()
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "GovernmentOffice"
    specs = data["openingHoursSpecification"]
    weekly = [s for s in specs if "dayOfWeek" in s]
    assert {s["dayOfWeek"].rsplit("/", 1)[1] for s in weekly} == {
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    }
    closed = [s for s in specs if s.get("description") == "Nationale feestdag"]
    assert closed == [
        {
            "@type": "OpeningHoursSpecification",
            "validFrom": "2027-07-21",
            "validThrough": "2027-07-21",
            "description": "Nationale feestdag",
            "opens": "00:00",
            "closes": "00:00",
        }
    ]


def test_ical_feed_parses_and_has_hours_and_closures(demo, client):
    with time_machine.travel(dt.datetime(2026, 12, 21, 8, 0, tzinfo=dt.UTC), tick=False):
        response = client.get("/locations/administratief-centrum/hours.ics")
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any("Kerstmis" in s for s in summaries)
    assert any("Tweede kerstdag" in s for s in summaries)
    monday = [
        e for e in events if e.decoded("DTSTART") == dt.datetime(2026, 12, 21, 7, 30, tzinfo=dt.UTC)
    ]
    assert len(monday) == 3  # walk-in, appointment and phone open at 08:30 local
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_unknown_location_page_is_404(client, db):
    assert client.get("/locations/nowhere/").status_code == 404
    assert client.get("/locations/nowhere/hours.ics").status_code == 404


def test_index_lists_locations_with_open_state(demo, client):
    with time_machine.travel(dt.datetime(2027, 2, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        html = client.get("/locations/").content.decode()
    assert html.count("badge-open") == 2  # Monday 10:00 local: both buildings are open
