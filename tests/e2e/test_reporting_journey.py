"""The manager's journey through the figures, in Chromium: open the dashboard, filter, compare
two periods, download the XLSX and the yearly PDF (both parsed); axe-core finds 0 violations
on every report page, at phone and desktop width."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


@pytest.fixture
def history(demo):
    from onthaal.reporting.demo import load_demo_history

    assert load_demo_history() > 40_000


def test_the_manager_filters_compares_and_downloads(history, page_factory, live_server):
    from onthaal.core import clock

    page = page_factory()
    page.set_default_timeout(60_000)
    login(page, live_server.url, "manager")
    page.goto(live_server.url + "/staff/reports/")
    assert page.locator("h1").inner_text().startswith("Cijfers")
    # With the survey's figure and the quick counter's.
    assert page.locator("section.figure svg.chart").count() == 11
    _accessible(page, "reports-dashboard-desktop")

    page.select_option("#id_department", label="Burgerzaken")
    page.select_option("#id_channel", value="appointment")
    page.click("form.report-filters button[type=submit]")
    page.wait_for_load_state()
    assert "department=" in page.url and "channel=appointment" in page.url
    filtered = page.locator("#figure-channels .figure-summary").inner_text()
    assert "100%" in filtered  # only appointments left in the channel mix

    year = clock.today().year
    page.fill("#id_start", f"{year - 1}-03-01")
    page.fill("#id_end", f"{year - 1}-06-30")
    page.fill("#id_compare_start", f"{year - 1}-09-01")
    page.fill("#id_compare_end", f"{year - 1}-12-31")
    page.select_option("#id_channel", value="")
    page.click("form.report-filters button[type=submit]")
    page.wait_for_load_state()
    table = page.locator("#comparison table")
    assert table.locator("tbody tr").count() == 6
    assert table.locator("tbody tr").first.locator("th").inner_text() == "Bezoeken"
    _accessible(page, "reports-compared-desktop")

    with page.expect_download() as download_info:
        page.click("text=Downloaden (Excel)")
    workbook = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))
    assert workbook.sheetnames[:3] == ["visits", "visitors", "heatmap"]
    assert workbook["visits"]["A1"].value  # the period, in words

    pdf_link = page.locator("a", has_text="Jaarverslag").get_attribute("href")
    response = page.context.request.get(live_server.url + pdf_link, timeout=180_000)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    assert len(reader.pages) >= 3
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Productmix" in text and "Aankomsten per uur" in text


@pytest.mark.parametrize("width", [(390, 844), (1280, 900)])
def test_report_pages_have_no_axe_violations(history, page_factory, live_server, width):
    page = page_factory(*width)
    page.set_default_timeout(60_000)
    login(page, live_server.url, "teamlead")
    for name, path in [
        ("dashboard", "/staff/reports/"),
        ("print", "/staff/reports/?print=1"),
        (
            "what-if",
            "/staff/reports/what-if/?arrivals_per_hour=20&service_minutes=9&desks=2"
            "&target_minutes=15&target_percent=80",
        ),
        ("what-if-errors", "/staff/reports/what-if/?service_minutes=0"),
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == 200
        _accessible(page, f"reports-{name}-{width[0]}")
