"""Documents: checked on their bytes, kept unchanged under their SHA-256 (checked on every
read), with a rendition, a thumbnail and their text."""

from __future__ import annotations

import hashlib

import pytest

from onthaal.audit.models import AuditEvent
from onthaal.core.errors import DomainError
from onthaal.mail import documents, selectors, services
from onthaal.mail.models import Direction, Document, MailItem, RegisterCounter
from onthaal.mail.samples import encrypted_pdf, scan_image, text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def register(world, *files, **kwargs):
    return services.register_item(
        actor=world.clerk,
        direction=Direction.IN,
        department=world.burgerzaken,
        document_type=world.letter,
        subject="Aanvraag",
        files=list(files),
        **kwargs,
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("leeg.pdf", b"", "het bestand is leeg"),
        ("factuur.pdf", WINDOWS_EXE, "niet aanvaard"),
        ("scan.pdf", ELF, "niet aanvaard"),
        ("brief.pdf", encrypted_pdf(), "met een wachtwoord beveiligd"),
        ("kapot.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 10, "beschadigd"),
    ],
)
def test_bad_files_are_refused_by_their_bytes_and_nothing_is_registered(world, name, data, message):
    good = Upload("goed.pdf", text_pdf("Beste"))
    with pytest.raises(DomainError) as error:
        register(world, good, Upload(name, data))
    assert message in error.value.message and name in error.value.message
    assert error.value.fields["files"] == [error.value.message]
    assert MailItem.objects.count() == 0 and Document.objects.count() == 0
    assert not RegisterCounter.objects.exists()
    assert not AuditEvent.objects.filter(object_type="mail.item").exists()


def test_a_file_above_the_limit_is_refused(world, settings):
    settings.ONTHAAL_MAIL_MAX_BYTES = 1024 * 1024
    with pytest.raises(DomainError) as error:
        register(world, Upload("groot.png", scan_image("x") + b"\x00" * (1024 * 1024)))
    assert "hoogstens 1 MB" in error.value.message
    assert MailItem.objects.count() == 0


def test_originals_are_kept_unchanged_and_checked_on_every_read(world):
    pdf, png = text_pdf("Beste", "Mijn adres wijzigt."), scan_image("Hallo")
    item = register(world, Upload("C:\\scans\\brief.pdf", pdf), Upload("foto.png", png))
    first, second = item.documents.order_by("position")
    assert (first.position, first.filename, first.content_type, first.size) == (
        1,
        "brief.pdf",
        "application/pdf",
        len(pdf),
    )
    assert first.sha256 == hashlib.sha256(pdf).hexdigest() and first.pages == 1
    assert second.content_type == "image/png" and second.pages is None
    event = AuditEvent.objects.get(action="create", object_type="mail.item")
    assert event.details["documents"] == [
        {"n": 1, "sha256": first.sha256},
        {"n": 2, "sha256": second.sha256},
    ]
    _, document, data = selectors.read_document(world.clerk, item.public_id, 1)
    assert data == pdf and document.pk == first.pk
    # Someone changes the file on disk: it is no longer served.
    path = documents.storage().path(documents.blob_name(first.sha256))
    with open(path, "r+b") as handle:
        handle.seek(20)
        handle.write(b"X")
    with pytest.raises(documents.DocumentCorrupt):
        selectors.read_document(world.clerk, item.public_id, 1)


def test_the_same_bytes_are_stored_once(world):
    pdf = text_pdf("Dezelfde brief")
    register(world, Upload("a.pdf", pdf))
    register(world, Upload("b.pdf", pdf))
    stored = _files(documents.storage().location)
    assert len(stored) == 1 and stored[0].endswith(hashlib.sha256(pdf).hexdigest())


def _files(root):
    import os

    return [os.path.join(d, f) for d, _, names in os.walk(root) for f in names]


def test_a_born_digital_pdf_gets_its_text_and_a_thumbnail(world):
    item = register(world, Upload("brief.pdf", text_pdf("Geachte heer", "Mijn huisnummer")))
    document = documents.process_document(item.documents.get())
    assert document.text_status == "done" and "huisnummer" in document.text
    assert document.rendition_sha256 == document.sha256  # a PDF is its own rendition
    if documents.tool("pdftoppm"):
        thumbnail = documents.get(document.thumbnail_sha256)
        assert thumbnail.startswith(b"\x89PNG")
    else:
        assert document.thumbnail_sha256 == ""


def test_a_scan_without_ocr_tools_says_text_recognition_is_not_available(world, monkeypatch):
    monkeypatch.setattr(documents, "tool", lambda name: None)
    item = register(world, Upload("scan.png", scan_image("Beste burgemeester")))
    document = documents.process_document(item.documents.get())
    assert document.text_status == "unavailable" and document.text == ""
    assert str(document.get_text_status_display()) == "tekstherkenning niet beschikbaar"
    rendition = documents.get(document.rendition_sha256)
    assert rendition.startswith(b"%PDF") and documents.pdf_pages(rendition) == 1
    assert documents.get(document.thumbnail_sha256).startswith(b"\x89PNG")  # from the image


def test_a_tool_that_crashes_marks_the_document_failed_and_keeps_it(world, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("segmentation fault")

    monkeypatch.setattr(documents, "process", crash)
    item = register(world, Upload("scan.png", scan_image("Beste")))
    document = documents.process_document(item.documents.get())
    assert document.text_status == "failed" and "segmentation fault" in document.text_error
    assert selectors.read_document(world.clerk, item.public_id, 1)[2].startswith(b"\x89PNG")
