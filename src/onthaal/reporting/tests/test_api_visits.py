"""GET /api/v1/reports/visits/: rows per key, the same from the rollups as from the facts;
CSV and XLSX downloads; every call audited; staff with reporting.view only."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from onthaal.audit.models import AuditEvent
from onthaal.reporting import exports, selectors
from onthaal.reporting.models import Visit

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/visits/"
PERIOD = {"from": "2027-01-12", "to": "2027-03-22"}


def _client(z, username):
    client = APIClient()
    client.force_login(z["users"][username])
    return client


@pytest.mark.parametrize("by", selectors.BY_CHOICES)
def test_rows_from_the_rollups_equal_rows_counted_from_the_facts(history, by):
    scope = selectors.scope_for(
        history["users"]["manager"],
        start=__import__("datetime").date(2027, 1, 12),
        end=__import__("datetime").date(2027, 3, 22),
    )

    assert exports.visit_rows(scope, by) == exports.visit_rows(scope, by, use_rollups=False)


def test_a_manager_gets_rows_by_weekday(history):
    response = _client(history, "manager").get(URL, {**PERIOD, "by": "weekday"})

    assert response.status_code == 200
    body = response.json()
    assert body["by"] == "weekday"
    assert [r["key"] for r in body["rows"]] == ["0", "1", "2", "3", "4", "5"]
    monday = body["rows"][0]
    expected = Visit.objects.filter(
        service_day__range=("2027-01-12", "2027-03-22"), weekday=0
    ).exclude(department=history["sd"])
    assert monday["visits"] == expected.count()
    assert monday["no_shows"] == expected.filter(outcome="no_show").count()
    assert monday["name"] == "maandag"  # Dutch first
    assert 0 < monday["wait_p50"] <= monday["wait_p90"]
    event = AuditEvent.objects.filter(object_type="reporting.visits").latest("pk")
    assert (event.action, event.details["by"], event.details["rows"]) == ("view", "weekday", 6)


def test_csv_and_xlsx_downloads_are_audited_exports(history):
    client = _client(history, "manager")

    as_csv = client.get(URL, {**PERIOD, "by": "channel", "format": "csv"})
    as_xlsx = client.get(URL, {**PERIOD, "by": "channel", "format": "xlsx"})

    assert as_csv.status_code == as_xlsx.status_code == 200
    assert as_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig")), delimiter=";"))
    json_rows = client.get(URL, {**PERIOD, "by": "channel"}).json()["rows"]
    assert [(r["key"], int(r["visits"])) for r in rows] == [
        (r["key"], r["visits"]) for r in json_rows
    ]
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == exports.COLUMNS
    assert [(v[0], v[2]) for v in values[1:]] == [(r["key"], r["visits"]) for r in json_rows]
    exported = AuditEvent.objects.filter(object_type="reporting.visits", action="export")
    assert sorted(e.details["format"] for e in exported) == ["csv", "xlsx"]


def test_refusals_and_bad_input(history):
    refused = _client(history, "balie").get(URL, PERIOD)
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(
        action="permission_denied", object_type="reporting.visits", actor_label="balie"
    ).exists()

    lead = _client(history, "teamlead")
    other = lead.get(URL, {**PERIOD, "department": history["sd"].pk})
    assert other.status_code == 403
    assert AuditEvent.objects.filter(
        action="permission_denied", actor_label="teamlead", object_id=str(history["sd"].pk)
    ).exists()

    bad = lead.get(URL, {"from": "2027-03-01", "to": "2027-01-01", "by": "year", "format": "pdf"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"by", "format"}
    backwards = lead.get(URL, {"from": "2027-03-01", "to": "2027-01-01"})
    assert backwards.status_code == 400
    assert set(backwards.json()["fields"]) == {"to"}
    unknown = lead.get(URL, {**PERIOD, "department": 999999})
    assert (unknown.status_code, list(unknown.json()["fields"])) == (400, ["department"])


def test_a_formula_in_a_cell_is_written_as_text():
    assert exports._safe("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports._safe("Burgerzaken") == "Burgerzaken"
