"""Text recognition and e-mail intake, with the real tools: an image-only PDF of Dutch text
becomes searchable through the API after OCR (ocrmypdf + Tesseract in the task); an e-mail
with two attachments from a real IMAP server (Dovecot, started here on 127.0.0.1) becomes one
item with three documents."""

from __future__ import annotations

import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.urls import reverse

from onthaal.core.errors import DomainError
from onthaal.mail import documents, email_intake, services
from onthaal.mail.models import Direction, MailItem
from onthaal.mail.samples import scan_image, scan_pdf, text_pdf

pytestmark = pytest.mark.django_db

DOVECOT = "/usr/sbin/dovecot"


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as they are enqueued (django-tasks resets its backends on the change)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_a_scanned_page_becomes_searchable_by_a_word_on_it_through_the_api(
    client, world, immediate_tasks, django_capture_on_commit_callbacks
):
    if not documents.ocr_available():
        pytest.fail(
            "OCR tools missing: apt-get install ocrmypdf tesseract-ocr-nld tesseract-ocr-fra"
        )
    scan = scan_pdf(
        "Geachte burgemeester,",
        "Graag vraag ik een parkeerkaart aan",
        "voor mijn moeder in de Lindelaan.",
    )
    assert documents.pdf_text(scan).strip() == ""  # no text layer: only an image
    client.force_login(world.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            reverse("api-mail"),
            {
                "direction": "in",
                "department": world.burgerzaken.pk,
                "informatieobjecttype": world.letter.pk,
                "subject": "Brief",
                "files": [_upload("scan.pdf", scan)],
            },
        )
    assert created.status_code == 201, created.content
    document = MailItem.objects.get().documents.get()
    assert document.text_status == "done", document.text_error
    assert "parkeerkaart" in document.text.lower()
    client.force_login(world.agent)
    found = client.get(reverse("api-mail"), {"q": "parkeerkaart"}).json()
    assert [r["id"] for r in found["results"]] == [created.json()["id"]]
    assert client.get(reverse("api-mail"), {"q": "vergunning"}).json()["count"] == 0


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def imap_server():
    """A real Dovecot IMAP server on 127.0.0.1 with one mailbox (imapuser / geheim). Its
    directory is readable by Dovecot's own users (pytest's tmp_path is not)."""
    if not Path(DOVECOT).exists():
        pytest.fail("Dovecot is missing: apt-get install dovecot-imapd", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="onthaal-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "home"):
        (root / name).mkdir(parents=True)
    (root / "home").chmod(0o777)
    (root / "users").write_text("imapuser:{PLAIN}geheim\n")
    port = _free_port()
    (root / "dovecot.conf").write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = root / "dovecot.log"
                    pytest.fail(f"Dovecot did not start: {log.read_text() if log.exists() else ''}")
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)


def _message(subject="Aanvraag parkeerkaart", attachments=True) -> bytes:
    message = EmailMessage()
    message["From"] = "An Claes <an.claes@example.be>"
    message["To"] = "post@zonnedoorn.example"
    message["Subject"] = subject
    message["Date"] = "Sun, 23 Mar 2025 09:15:00 +0100"
    message["Message-ID"] = f"<{subject.replace(' ', '.')}@example.be>"
    message.set_content("Beste,\n\nIn bijlage mijn aanvraag en een foto.\n\nAn Claes")
    if attachments:
        message.add_attachment(
            text_pdf("Aanvraag"), maintype="application", subtype="pdf", filename="aanvraag.pdf"
        )
        message.add_attachment(
            scan_image("Foto"), maintype="image", subtype="png", filename="foto.png"
        )
    return message.as_bytes()


def _login(port: int) -> imaplib.IMAP4:
    """Log in as the test's mailbox; Dovecot's authentication process may still be starting
    ("[UNAVAILABLE] Temporary authentication failure") for a few seconds after the port opens."""
    deadline = time.monotonic() + 60
    while True:
        box = imaplib.IMAP4("127.0.0.1", port)
        try:
            box.login("imapuser", "geheim")
            return box
        except imaplib.IMAP4.error as error:
            box.shutdown()
            if b"UNAVAILABLE" not in str(error).encode() or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _configure(settings, port, world):
    settings.ONTHAAL_IMAP_HOST = "127.0.0.1"
    settings.ONTHAAL_IMAP_PORT = port
    settings.ONTHAAL_IMAP_SSL = False
    settings.ONTHAAL_IMAP_USER = "imapuser"
    settings.ONTHAAL_IMAP_PASSWORD = "geheim"
    settings.ONTHAAL_IMAP_DEPARTMENT = world.burgerzaken.slug
    settings.ONTHAAL_IMAP_DOCUMENT_TYPE = world.letter.name


def test_a_message_with_two_attachments_from_imap_becomes_one_item_with_three_documents(
    world, imap_server, settings
):
    _configure(settings, imap_server, world)
    box = _login(imap_server)
    assert box.append("INBOX", None, None, _message())[0] == "OK"
    result = email_intake.poll_imap()
    assert (len(result.registered), result.failed, result.error) == (1, 0, "")
    item = MailItem.objects.get()
    assert result.registered == [item.register_number]
    assert item.received_on.isoformat() == "2025-03-23"
    assert (item.channel, item.subject, item.department) == (
        "email",
        "Aanvraag parkeerkaart",
        world.burgerzaken,
    )
    assert item.correspondent.name == "An Claes"
    assert item.correspondent.email == "an.claes@example.be"
    names = list(item.documents.order_by("position").values_list("filename", "content_type"))
    body_name = "bericht.pdf" if names[0][0].endswith(".pdf") else "bericht.txt"
    assert names == [
        (body_name, "application/pdf" if body_name.endswith(".pdf") else "text/plain"),
        ("aanvraag.pdf", "application/pdf"),
        ("foto.png", "image/png"),
    ]
    body = documents.get(item.documents.get(position=1).sha256)
    text = documents.pdf_text(body) if body_name.endswith(".pdf") else body.decode()
    assert "In bijlage mijn aanvraag" in text and "an.claes@example.be" in text
    # Read on the server now; a second poll registers nothing.
    box.select("INBOX")
    assert box.search(None, "UNSEEN")[1] == [b""]
    assert email_intake.poll_imap().registered == []
    assert MailItem.objects.count() == 1
    box.logout()


def test_a_mailbox_that_is_down_changes_nothing(world, settings):
    _configure(settings, _free_port(), world)
    result = email_intake.poll_imap()
    assert result.registered == [] and result.error
    assert not MailItem.objects.exists()


def test_a_broken_eml_is_refused_clearly(world):
    for data in (b"", b"\x00\x01 not a message", b"just some words\nwithout headers"):
        with pytest.raises(DomainError) as error:
            email_intake.register_message(
                actor=world.clerk,
                data=data,
                filename="kapot.eml",
                department=world.burgerzaken,
                document_type=world.letter,
            )
        assert "kapot.eml" in error.value.message
    assert not MailItem.objects.exists()


def test_an_executable_attachment_is_not_kept_but_named_in_the_body(world):
    message = EmailMessage()
    message["From"] = "x@example.be"
    message["Subject"] = "Factuur"
    message.set_content("Zie bijlage")
    message.add_attachment(
        b"MZ\x90\x00" + b"\0" * 100, maintype="application", subtype="pdf", filename="factuur.pdf"
    )
    item = email_intake.register_message(
        actor=world.clerk,
        data=message.as_bytes(),
        department=world.burgerzaken,
        document_type=world.letter,
    )
    body = item.documents.get()
    data = documents.get(body.sha256)
    text = documents.pdf_text(data) if body.content_type == "application/pdf" else data.decode()
    assert "factuur.pdf" in text
    assert item.documents.count() == 1


def test_an_eml_dropped_at_the_intake_becomes_an_item(client, world):
    client.force_login(world.clerk)
    response = client.post(
        reverse("mail:intake"),
        {
            "channel": "email",
            "department": world.burgerzaken.pk,
            "document_type": world.letter.pk,
            "scans": [_upload("bericht.eml", _message("Vraag over afval"))],
        },
    )
    assert response.status_code == 302
    item = MailItem.objects.get()
    assert item.subject == "Vraag over afval" and item.documents.count() == 3
    assert item.direction == Direction.IN and services.OBJECT_TYPE == "mail.item"
