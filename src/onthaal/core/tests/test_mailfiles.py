"""DEBUG's e-mail backend: each message a whole .eml file of its own, in the data dir."""

from __future__ import annotations

import email
import email.policy

from django.core import mail

from onthaal.core import mailfiles


def test_each_message_of_a_batch_is_a_file_of_its_own_that_a_mail_program_reads(tmp_path):
    backend = mailfiles.EmailBackend(file_path=str(tmp_path / "sent-mail"))
    messages = [
        mail.EmailMessage("Uw afspraak is bevestigd", "Tot dan.", "a@example.be", ["x@example.be"]),
        mail.EmailMessage(
            "Uw afspraak is bevestigd", "Tot straks.", "a@example.be", ["y@example.be"]
        ),
        mail.EmailMessage("Niemand", "Geen ontvanger.", "a@example.be", []),
    ]

    assert backend.send_messages(messages) == 2

    files = sorted((tmp_path / "sent-mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    assert all(f.name.endswith("uw-afspraak-is-bevestigd.eml") or "-2.eml" in f.name for f in files)
    assert (tmp_path / "sent-mail").stat().st_mode & 0o077 == 0
    assert all(f.stat().st_mode & 0o077 == 0 for f in files)
    read = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted((m["To"], m.get_content().strip()) for m in read) == [
        ("x@example.be", "Tot dan."),
        ("y@example.be", "Tot straks."),
    ]


def test_debug_sends_to_files_in_the_data_dir(settings, tmp_path):
    settings.EMAIL_BACKEND = "onthaal.core.mailfiles.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "sent-mail"

    sent = mail.send_mail("Uw aanvraag is ontvangen", "Beste,", "a@example.be", ["x@example.be"])

    assert sent == 1
    assert len(list((tmp_path / "sent-mail").glob("*-uw-aanvraag-is-ontvangen.eml"))) == 1
