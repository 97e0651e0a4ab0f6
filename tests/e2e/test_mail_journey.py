"""The mail register's journey, in Chromium: the mail clerk registers a scan and routes it to
a handler of Burgerzaken, the handler answers it with a letter, and the auditor sees both
reads of the item on the audit page; the retention officer proposes the destruction list and
a second person approves it. axe-core finds 0 violations on every mail page."""

from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import login, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def _document_storage(settings, tmp_path):
    """The documents of these tests in a directory of their own, not the install's."""
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    storages._storages.pop("mail", None)
    yield
    storages._storages.pop("mail", None)


def _accessible(page, name: str) -> None:
    results = Axe().run(page)
    screenshot(page, name)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def test_clerk_registers_and_routes_handler_answers_auditor_sees_the_reads(
    demo, page_factory, live_server, tmp_path
):
    from onthaal.mail.models import Document, MailItem
    from onthaal.mail.samples import text_pdf

    scan = tmp_path / "brief-verhuis.pdf"
    scan.write_bytes(text_pdf("Geachte, ik verhuis op 1 mei naar de Kerkstraat 12."))
    base = live_server.url

    # The mail clerk lands on the intake screen, drops the scan and registers it.
    clerk = page_factory()
    clerk.set_default_timeout(60_000)
    login(clerk, base, "post")
    assert clerk.url.endswith("/staff/mail/intake/")
    _accessible(clerk, "mail-intake")
    clerk.set_input_files("#id_scans", str(scan))
    clerk.fill("#id_correspondent", "Jan Peeters")
    clerk.fill("#id_subject", "Verhuis naar de Kerkstraat")
    clerk.select_option("#id_department", label="Burgerzaken")
    clerk.select_option("#id_document_type", label="Brief van een burger")
    clerk.click("#register-button")
    registered = clerk.locator("#registered-list a").first
    registered.wait_for()
    number = registered.inner_text().split()[0]
    assert number.startswith("IN-")
    _accessible(clerk, "mail-intake-registered")

    # ... opens it and routes it to a handler of Burgerzaken, with a note (an intake rule of
    # the demo may have suggested one already: then this is a reassignment).
    registered.click()
    clerk.wait_for_load_state()
    assert clerk.locator("h1").inner_text().startswith(number)
    clerk.select_option("#id_handler", label="balie")
    clerk.fill("#id_note", "Adreswijziging nakijken")
    clerk.click("form[action$='/assign/'] button[type=submit]")
    clerk.wait_for_load_state()
    assert "balie" in clerk.locator(".facts").inner_text()
    # The clerk routes; answering is the handler's (no answer form for the clerk).
    assert clerk.locator("form[action$='/answer/']").count() == 0
    _accessible(clerk, "mail-item-routed")
    clerk.goto(base + "/staff/mail/")
    _accessible(clerk, "mail-inbox")
    item = MailItem.objects.get(register_number=number, direction="in")
    assert item.handler.username == "balie" and item.status == "assigned"

    # The handler finds it in "My mail", starts it and answers with a letter.
    handler = page_factory()
    handler.set_default_timeout(60_000)
    login(handler, base, "balie")
    handler.goto(base + "/staff/mail/?mine=1")
    assert "teamlead" not in handler.locator("main section.card table").inner_text()
    _accessible(handler, "mail-my-mail")
    handler.goto(base + f"/staff/mail/search/?q={number}")
    handler.click(f"table.mail-table a:has-text('{number}')")
    handler.wait_for_load_state()
    handler.click("text=Behandeling starten")
    handler.wait_for_load_state()
    _accessible(handler, "mail-item-handler")
    handler.check("input[name=kind][value=letter]")
    handler.fill("#id_body", "Geachte heer Peeters,\n\nUw adreswijziging is genoteerd.")
    handler.click("form[action$='/answer/'] button[type=submit]")
    handler.wait_for_load_state()
    answer_number = handler.locator("h1").inner_text().split()[0]
    assert answer_number.startswith("UIT-")
    _accessible(handler, "mail-answer-letter")
    answer = MailItem.objects.get(register_number=answer_number, direction="out")
    assert answer.answers_id == item.pk
    letter = Document.objects.get(item=answer)
    assert letter.content_type == "application/pdf"
    item.refresh_from_db()
    assert item.status == "answered"
    handler.goto(base + "/staff/mail/search/?q=Kerkstraat")
    assert number in handler.locator("table.mail-table").inner_text()
    _accessible(handler, "mail-search")

    # The auditor asks "who saw this item": both reads are there.
    auditor = page_factory()
    login(auditor, base, "auditor")
    auditor.goto(base + f"/staff/audit/?object_id={number}&action=view")
    rows = auditor.locator("table tbody tr")
    readers = {rows.nth(i).locator("td").nth(1).inner_text() for i in range(rows.count())}
    assert any("Paula Post" in r for r in readers), readers  # names, not user names
    assert any("Bart Balie" in r for r in readers), readers
    said = {rows.nth(i).locator("td").nth(2).inner_text() for i in range(rows.count())}
    assert any(f"Bart Balie las poststuk {number}" in s for s in said), said
    _accessible(auditor, "mail-audit-reads")


def test_retention_is_proposed_by_one_and_approved_by_another(demo, page_factory, live_server):
    import time_machine
    from django.contrib.auth import get_user_model

    from onthaal.core.clock import BRUSSELS
    from onthaal.mail import documents, retention, services
    from onthaal.mail.models import DocumentType, MailItem
    from onthaal.mail.samples import text_pdf
    from onthaal.organisation.models import Department

    User = get_user_model()  # noqa: N806
    clerk = User.objects.get(username="post")
    with time_machine.travel(dt.datetime(2012, 5, 3, 10, 0, tzinfo=BRUSSELS), tick=False):
        old = services.register_item(
            actor=clerk,
            direction="in",
            department=Department.objects.get(slug="burgerzaken"),
            document_type=DocumentType.objects.get(name="Brief van een burger"),
            subject="Oude brief van Jan Peeters",
            files=[services.Upload("oud.pdf", text_pdf("Oude brief"))],
        )
        services.close_item(actor=User.objects.get(username="teamlead"), item=old)
    stored = old.documents.get().sha256
    base = live_server.url

    officer = page_factory()
    login(officer, base, "auditor")
    officer.goto(base + "/staff/")
    officer.click("a.button:has-text('Vernietigingslijsten')")
    officer.wait_for_load_state()
    _accessible(officer, "mail-retention")
    officer.click("text=De lijst voorstellen")
    officer.wait_for_load_state()
    assert old.register_number in officer.locator("table").inner_text()
    assert "Oude brief" not in officer.content()  # the list shows no subject
    assert officer.locator("text=De lijst goedkeuren").count() == 0  # not to the proposer
    _accessible(officer, "mail-retention-proposed")
    list_url = officer.url

    second = page_factory()
    login(second, base, "admin")
    second.goto(list_url)
    _accessible(second, "mail-retention-to-approve")
    second.click("text=De lijst goedkeuren")
    second.wait_for_load_state()
    assert "goedgekeurd" in second.locator("h1").inner_text()

    assert old.register_number in retention.carry_out().destroyed  # with the demo's old mail
    old = MailItem.objects.get(pk=old.pk)
    assert old.destroyed_at is not None and old.subject == ""
    assert not documents.storage().exists(documents.blob_name(stored))
    second.reload()
    assert "uitgevoerd" in second.locator("h1").inner_text()
    _accessible(second, "mail-retention-carried-out")

    # The register line remains, saying what happened; no documents, no sender, no subject.
    lead = page_factory()
    login(lead, base, "teamlead")
    lead.goto(base + old.get_absolute_url())
    assert lead.locator("h1").inner_text().startswith(old.register_number)
    assert "Vernietigd op" in lead.locator("main").inner_text()
    assert "oud.pdf" not in lead.content() and "Oude brief" not in lead.content()
    assert lead.locator("form[action$='/grant/']").count() == 0
    _accessible(lead, "mail-item-destroyed")
