"""The e-loket in a real browser (Debian's Chromium): a citizen finds a product, files a
request with an upload (the proof of work solved by proof.js), gets the structured
communication; a CAMT.053 statement marks it paid; staff ask for a missing document; the
citizen uploads it; staff make the PDF and mark the request ready; the citizen downloads it; the audit log holds the reads.
axe-core finds 0 violations on every e-loket page on the way. Screenshots in
test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from onthaal.eloket.tests.test_pure import camt_file
from onthaal.mail.samples import text_pdf
from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, f"eloket-{name}")
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_file_pay_wait_upload_document_download(demo, page_factory, live_server, tmp_path):
    from onthaal.eloket.models import ProductSettings, Request, Status

    ProductSettings.objects.filter(product__slug="bewonersparkeerkaart").update(
        document_text="Bewonersparkeerkaart voor {nummerplaat}. Referentie {reference}."
    )
    registration = tmp_path / "inschrijving.pdf"
    registration.write_bytes(text_pdf("Inschrijvingsbewijs 1-ABC-123"))
    base = live_server.url

    citizen = page_factory()
    citizen.goto(f"{base}/e-loket/")
    _accessible(citizen, "index")
    citizen.fill("#q", "parkeer")
    citizen.click("form[role=search] button")
    citizen.click("text=Bewonersparkeerkaart")
    _accessible(citizen, "product")
    citizen.click("text=Aanvraag invullen")
    citizen.fill("#f-naam", "Sara Wouters")
    citizen.fill("#f-adres", "Marktplein 4, 9999 Zonnedoorn")
    citizen.fill("#f-nummerplaat", "1-XYZ-987")
    citizen.set_input_files("#f-inschrijvingsbewijs", str(registration))
    citizen.fill("#f-email", "sara@example.org")
    citizen.wait_for_function(
        "document.querySelector('input[name=altcha]').value.length > 0", timeout=20_000
    )
    _accessible(citizen, "form")
    citizen.click("main form button[type=submit]")
    citizen.wait_for_url(re.compile(r"/received/"))
    _accessible(citizen, "received")
    filed = Request.objects.get(answers__nummerplaat="1-XYZ-987")
    shown = citizen.locator("main").inner_text()
    assert filed.reference in shown
    digits = filed.communication
    assert f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++" in shown
    assert citizen.locator("main svg").count() == 1  # the EPC QR code
    status_url = citizen.get_attribute("text=Uw aanvraag volgen", "href")
    assert filed.files.count() == 1

    # The team lead imports the bank statement: the request is paid.
    lead = page_factory()
    login(lead, base, "teamlead")
    lead.goto(f"{base}/staff/e-loket/payments/")
    statement = tmp_path / "camt053.xml"
    statement.write_bytes(camt_file(("E2E-1", "25.00", digits)))
    lead.set_input_files("#file", str(statement))
    lead.click("main form button[type=submit]")
    lead.wait_for_load_state()
    _accessible(lead, "payments")
    filed.refresh_from_db()
    assert filed.paid == filed.amount

    # Staff ask for a missing document.
    lead.goto(f"{base}/staff/e-loket/")
    _accessible(lead, "work-list")
    lead.click(f"text={filed.reference}")
    _accessible(lead, "staff-request")
    lead.fill("#message-waiting_for_citizen", "Stuur ook het verzekeringsbewijs.")
    lead.click("form:has(#message-waiting_for_citizen) button[type=submit]")
    lead.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.status == Status.WAITING

    # The citizen answers with the document.
    insurance = tmp_path / "verzekering.pdf"
    insurance.write_bytes(text_pdf("Verzekeringsbewijs"))
    citizen.goto(f"{base}{status_url}")
    assert "Stuur ook het verzekeringsbewijs." in citizen.locator("main").inner_text()
    _accessible(citizen, "status-waiting")
    citizen.fill("#body", "Hierbij het verzekeringsbewijs.")
    citizen.set_input_files("#files", str(insurance))
    citizen.click("main form button[type=submit]")
    citizen.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.status == Status.IN_PROGRESS and filed.files.count() == 2

    # Staff make the PDF and mark the request ready.
    lead.goto(f"{base}/staff/e-loket/{filed.reference}/")
    # WeasyPrint renders the PDF in the request: ~10 s on a loaded 2-core machine.
    lead.click("text=Document maken (pdf)", timeout=30_000)
    lead.wait_for_load_state()
    lead.click("form:has(#message-ready) button[type=submit]")
    lead.wait_for_load_state()
    filed.refresh_from_db()
    assert filed.status == Status.READY and filed.document_item is not None

    # The citizen downloads it.
    citizen.goto(f"{base}{status_url}")
    _accessible(citizen, "status-ready")
    with citizen.expect_download() as download:
        citizen.click("text=Uw document downloaden (pdf)")
    path = download.value.path()
    assert path is not None and open(path, "rb").read(5) == b"%PDF-"  # noqa: SIM115

    # The audit log holds every read: the staff's views and the citizen's download.
    from onthaal.audit.models import AuditEvent

    reads = AuditEvent.objects.filter(object_type="eloket.request", object_id=filed.reference)
    assert reads.filter(action="view").count() >= 2
    assert reads.filter(action="download").count() == 1


def test_at_phone_width_the_pages_pass_axe_and_show_when_works_live(
    demo, page_factory, live_server
):
    """390 px wide (a phone): the list, a product, its form — where "Wat is er?" appears only
    once "ander" is chosen, without a reload (show-when.js) — the received page and the status
    page, each with 0 axe violations."""
    from onthaal.eloket.models import Request

    base = live_server.url
    phone = page_factory(width=390, height=844)
    phone.goto(f"{base}/e-loket/")
    _accessible(phone, "phone-index")
    phone.goto(f"{base}/e-loket/product/melding-openbaar-domein/")
    _accessible(phone, "phone-product")
    phone.click("text=Aanvraag invullen")
    # The click returns once the form page starts loading; show-when.js runs when it has, so
    # each state is awaited (up to 5 s) rather than read at once.
    explanation = phone.locator("#field-uitleg")
    expect(explanation).to_be_hidden()
    phone.check("#f-wat-3")  # "ander"
    expect(explanation).to_be_visible()
    phone.check("#f-wat-1")  # "put in de weg": hidden again
    expect(explanation).to_be_hidden()
    phone.check("#f-wat-3")
    phone.fill("#f-uitleg", "Een omgevallen verkeersbord")
    phone.fill("#f-waar", "Zonnestraat 21")
    phone.fill("#f-email", "melder@example.org")
    phone.wait_for_function(
        "document.querySelector('input[name=altcha]').value.length > 0", timeout=20_000
    )
    _accessible(phone, "phone-form")
    phone.click("main form button[type=submit]")
    phone.wait_for_url(re.compile(r"/received/"))
    _accessible(phone, "phone-received")
    filed = Request.objects.get(email="melder@example.org")
    assert filed.answers["uitleg"] == "Een omgevallen verkeersbord"
    phone.click("text=Uw aanvraag volgen")
    phone.wait_for_load_state()
    _accessible(phone, "phone-status")
