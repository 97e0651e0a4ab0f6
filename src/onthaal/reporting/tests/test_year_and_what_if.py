"""The yearly PDF report (parsed: pages, figures) and the what-if calculator page."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from onthaal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_yearly_report_is_a_pdf_with_its_figures(client, history):
    client.force_login(history["users"]["manager"])

    response = client.get("/staff/reports/year/2026.pdf", HTTP_ACCEPT_LANGUAGE="nl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) >= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    for title in (
        "Onthaal: jaarverslag 2026",
        "Bezoekers per maand",
        "Productmix",
        "Kanalen door de tijd",
        "Bezoeken per kanaal",
        "Advies over openingsuren en bezetting",
    ):
        assert title in text
    event = AuditEvent.objects.filter(object_type="reporting.year").latest("pk")
    assert (event.action, event.object_id, event.details["format"]) == ("export", "2026", "pdf")


def test_no_report_for_a_year_to_come_and_none_for_a_desk_agent(client, history):
    client.force_login(history["users"]["manager"])
    assert client.get("/staff/reports/year/2031.pdf").status_code == 404
    client.force_login(history["users"]["balie"])
    assert client.get("/staff/reports/year/2026.pdf").status_code == 403


def test_the_what_if_calculator(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["teamlead"])

    response = client.get(
        "/staff/reports/what-if/",
        {
            "arrivals_per_day": 70,
            "open_hours": 3.5,
            "service_minutes": 9,
            "desks": 2,
            "target_minutes": 15,
            "target_percent": 80,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    result = response.context["result"]
    assert result["demand"].arrivals_per_hour == 20  # 70 visitors in 3.5 hours
    assert result["needed"].desks == 4
    assert result["chosen"].desks == 2 and result["chosen"].occupancy == 1.0  # 3 Erlangs, 2 desks
    assert "4 desks needed." in response.content.decode()


def test_the_what_if_calculator_says_what_is_missing(client, zonnedoorn):
    client.force_login(zonnedoorn["users"]["teamlead"])

    response = client.get(
        "/staff/reports/what-if/",
        {"service_minutes": 9, "target_minutes": 15, "target_percent": 80},
    )

    assert response.status_code == 200
    assert response.context["result"] is None
    assert "arrivals_per_hour" in response.context["form"].errors
