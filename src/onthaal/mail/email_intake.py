"""E-mail intake: an ``.eml`` file dropped at the intake, or the messages of an IMAP mailbox the
worker polls. A message becomes one incoming item: its body as a PDF (WeasyPrint; plain text
where it is not installed), each attachment a document of its own. An attachment the register
does not accept (an executable, an empty file) is not stored; the body's PDF names it, so
nothing is lost silently.

The mailbox is set by environment (read in settings): ``ONTHAAL_IMAP_HOST``, ``_PORT``,
``_USER``, ``_PASSWORD``, ``_FOLDER`` (INBOX), ``_SSL`` (on), ``_DEPARTMENT`` (the slug of the
department that gets mail no intake rule routes) and ``_DOCUMENT_TYPE`` (the name of its
document type). A message is registered once (its Message-ID is the idempotency key) and
marked as read after; a mailbox that is down is logged and tried again at the next poll.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import ssl
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.mail import documents, letters, rules, services
from onthaal.mail.models import Channel, Correspondent, Direction, DocumentType, MailItem
from onthaal.mail.services import Upload
from onthaal.organisation.models import Department

log = logging.getLogger(__name__)

IMAP_ACTOR = "system:imap"
MAX_MESSAGES_PER_POLL = 50


@dataclasses.dataclass
class Parsed:
    subject: str
    sender_name: str
    sender_email: str
    date: dt.datetime | None
    message_id: str
    body: str
    attachments: list[Upload]


def parse(data: bytes, filename: str = "bericht.eml") -> Parsed:
    """The parts of an e-mail message; a clear refusal when the bytes are not one."""
    if not data.strip():
        raise _broken(filename)
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception:  # the parser is lenient; anything it still refuses is a broken file
        raise _broken(filename) from None
    if not isinstance(message, EmailMessage) or not (message["From"] or message["Subject"]):
        raise _broken(filename)
    try:
        name, address = email.utils.parseaddr(str(message["From"] or ""))
        when = message["Date"]
        date = when.datetime if when is not None and hasattr(when, "datetime") else None
        body_part = message.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        if body_part is not None and body_part.get_content_type() == "text/html":
            from django.utils.html import strip_tags

            body = strip_tags(body)
        attachments = []
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True)
            payload = payload if isinstance(payload, bytes) else b""
            attachments.append(Upload(part.get_filename() or "bijlage", payload))
    except (LookupError, ValueError, TypeError, AttributeError):
        raise _broken(filename) from None
    return Parsed(
        subject=str(message["Subject"] or "").strip()[:300],
        sender_name=(name or address).strip()[:200],
        sender_email=address.strip()[:254],
        date=date if date is None or date.tzinfo else None,
        message_id=str(message["Message-ID"] or "").strip()[:500],
        body=str(body),
        attachments=attachments,
    )


def _broken(filename: str) -> DomainError:
    text = _("%(file)s: this is not a readable e-mail message.") % {"file": filename}
    return DomainError(text, code="invalid_file", fields={"files": [text]})


def body_document(parsed: Parsed, refused: list[str]) -> Upload:
    """The message's body (with its headers and the names of refused attachments) as a PDF,
    or as plain text where WeasyPrint is not installed."""
    context = {"message": parsed, "refused": refused, "attachments": parsed.attachments}
    if letters.available():
        from weasyprint import HTML

        html = render_to_string("mail/email_body.html", context)
        return Upload("bericht.pdf", HTML(string=html).write_pdf())
    text = render_to_string("mail/email_body.txt", context)
    return Upload("bericht.txt", text.encode("utf-8"))


def documents_of(parsed: Parsed) -> list[Upload]:
    """The body and the accepted attachments; refused ones are named in the body."""
    accepted, refused = [], []
    for attachment in parsed.attachments:
        try:
            documents.check_upload(attachment)
        except DomainError as error:
            refused.append(error.message)
            continue
        accepted.append(attachment)
    return [body_document(parsed, refused), *accepted]


def register_message(
    *,
    actor: Any,
    data: bytes,
    filename: str = "bericht.eml",
    department: Department | None = None,
    document_type: DocumentType | None = None,
    handler: Any = None,
    note: str = "",
    received_on: dt.date | None = None,
    idempotency_key: str | None = None,
    fallback: tuple[Department | None, DocumentType | None] = (None, None),
) -> MailItem:
    """Register one e-mail message as one incoming item. The department, type and handler
    not given come from the intake rules (sender, subject and body), else from
    ``fallback``."""
    parsed = parse(data, filename)
    suggestion = rules.suggest(
        sender=f"{parsed.sender_name} {parsed.sender_email}",
        text=f"{parsed.subject}\n{parsed.body[: rules.MAX_TEXT]}",
    )
    if suggestion is not None:
        department = department or suggestion.department
        document_type = document_type or suggestion.document_type
        handler = handler or suggestion.handler
    department = department or fallback[0]
    document_type = document_type or fallback[1]
    if department is None or document_type is None:
        message = _("No rule routes this message: choose the department and the document type.")
        raise DomainError(message, fields={"department": [message]})
    correspondent = None
    if parsed.sender_name:
        correspondent = services.find_or_create_correspondent(
            actor=actor,
            name=parsed.sender_name,
            kind=Correspondent.Kind.CITIZEN,
            email=parsed.sender_email,
        )
    key = idempotency_key
    if key is None and parsed.message_id:
        key = "eml-" + hashlib.sha256(parsed.message_id.encode()).hexdigest()[:40]
    return services.register_item(
        actor=actor,
        direction=Direction.IN,
        department=department,
        document_type=document_type,
        channel=Channel.EMAIL,
        subject=parsed.subject or filename,
        correspondent=correspondent,
        received_on=received_on
        or (parsed.date.astimezone(clock.BRUSSELS).date() if parsed.date else None),
        handler=handler,
        note=note,
        files=documents_of(parsed),
        idempotency_key=key,
    )


def _fallback() -> tuple[Department | None, DocumentType | None]:
    slug = getattr(settings, "ONTHAAL_IMAP_DEPARTMENT", "")
    type_name = getattr(settings, "ONTHAAL_IMAP_DOCUMENT_TYPE", "")
    return (
        Department.objects.filter(slug=slug).first() if slug else None,
        DocumentType.objects.filter(name=type_name).first() if type_name else None,
    )


@dataclasses.dataclass
class PollResult:
    registered: list[str]
    failed: int = 0
    error: str = ""


def poll_imap() -> PollResult:
    """Register the unread messages of the configured mailbox; mark each as read once it is
    registered. A message that cannot be registered stays unread (and is logged); a mailbox
    that is down changes nothing."""
    host = getattr(settings, "ONTHAAL_IMAP_HOST", "")
    result = PollResult(registered=[])
    if not host:
        return result
    department, document_type = _fallback()
    try:
        client = _connect(host)
    except (OSError, imaplib.IMAP4.error) as error:
        log.warning("IMAP mailbox %s not reachable: %s", host, error)
        result.error = str(error)[:300]
        return result
    try:
        client.select(getattr(settings, "ONTHAAL_IMAP_FOLDER", "INBOX"))
        _status, found = client.uid("SEARCH", "UNSEEN")
        uids = (found[0] or b"").split()[:MAX_MESSAGES_PER_POLL]
        for uid in uids:
            _status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")  # type: ignore[arg-type]
            raw = next((p[1] for p in parts if isinstance(p, tuple)), b"")
            try:
                item = register_message(
                    actor=IMAP_ACTOR,
                    data=raw,
                    filename=f"imap-{uid.decode()}.eml",
                    fallback=(department, document_type),
                )
            except DomainError as error:
                log.warning("IMAP message %s not registered: %s", uid, error.message)
                result.failed += 1
                continue
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")  # type: ignore[arg-type]
            result.registered.append(item.register_number)
    except (OSError, imaplib.IMAP4.error) as error:
        log.warning("IMAP poll of %s failed: %s", host, error)
        result.error = str(error)[:300]
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return result


def _connect(host: str) -> imaplib.IMAP4:
    port = int(getattr(settings, "ONTHAAL_IMAP_PORT", 993))
    timeout = 20
    client: imaplib.IMAP4
    if getattr(settings, "ONTHAAL_IMAP_SSL", True):
        client = imaplib.IMAP4_SSL(
            host, port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    else:
        client = imaplib.IMAP4(host, port, timeout=timeout)
    client.login(settings.ONTHAAL_IMAP_USER, settings.ONTHAAL_IMAP_PASSWORD)
    return client
