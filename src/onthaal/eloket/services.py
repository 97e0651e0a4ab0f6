"""Writes of the e-loket: filing a request (registered in the mail register in the same
transaction), confirming the e-mail address, the citizen's answer, the staff's transitions and
assignment, the produced document, and the bank statement import.

Each function is one transaction with its audit event in it. Lock order: the request row,
then the mail register counter (``mail.services.next_number``), then the audit chain.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.appointments.contact import contact_key
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, Conflict, DomainError, NotFound
from onthaal.core.ratelimit import TooMany, hit
from onthaal.eloket import camt, formspec, ogm
from onthaal.eloket.identity import Identity
from onthaal.eloket.models import (
    FINAL_STATUSES,
    TRANSITIONS,
    BankStatement,
    FormVersion,
    Notification,
    Payment,
    ProductSettings,
    Request,
    RequestFile,
    RequestMessage,
    Status,
    hash_token,
)
from onthaal.mail import documents
from onthaal.mail import services as mail
from onthaal.mail.models import Channel, Direction, DocumentType

OBJECT_TYPE = "eloket.request"
DOCUMENT_TYPE_NAME = "Aanvraag via het e-loket"
TOKEN_SALT = "onthaal.eloket.status-token"  # noqa: S105 - a salt, not a secret
VERIFY_SALT = "onthaal.eloket.verify"
DOWNLOAD_SALT = "onthaal.eloket.download"
DOWNLOAD_DAYS = 30
# The types a citizen may upload, judged by the bytes.
UPLOAD_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
MAX_FILES_PER_FIELD = 5
MAX_FILES = 10
MAX_UPLOAD_BYTES = int(os.environ.get("ONTHAAL_ELOKET_MAX_BYTES", str(10 * 1024 * 1024)))
# 10 requests per 10 minutes from one address (ONTHAAL_ELOKET_PER_IP), 5 a day per e-mail.
PER_IP = (int(os.environ.get("ONTHAAL_ELOKET_PER_IP", "10")), 10 * 60)
PER_EMAIL = (int(os.environ.get("ONTHAAL_ELOKET_PER_EMAIL", "5")), 24 * 60 * 60)
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclasses.dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    data: bytes


def status_token(reference: str) -> str:
    """The token of the status link: an HMAC of the reference (the database keeps only its
    SHA-256, as for the appointments' manage link)."""
    digest = salted_hmac(TOKEN_SALT, reference, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def status_url(request: Request) -> str:
    path = reverse("eloket:status", kwargs={"reference": request.reference})
    return f"{path}?{urlencode({'token': status_token(request.reference)})}"


def _new_reference() -> str:
    return "E" + "".join(secrets.choice(_ALPHABET) for _ in range(7))


def settings_of(product: Product) -> ProductSettings:
    found = ProductSettings.objects.filter(product=product, active=True, product__active=True)
    settings_ = found.select_related("product__department").first()
    if settings_ is None:
        message = _("This product cannot be requested on the e-loket.")
        raise DomainError(message, code="not_offered", fields={"product": [message]})
    return settings_


def current_version(product: Product) -> FormVersion:
    version = (
        FormVersion.objects.filter(form__product=product, published=True)
        .order_by("-number")
        .first()
    )
    if version is None:
        message = _("This product cannot be requested on the e-loket.")
        raise DomainError(message, code="not_offered", fields={"product": [message]})
    return version


def field_specs(version: FormVersion) -> list[formspec.FieldSpec]:
    return [
        formspec.FieldSpec(
            key=f.key,
            kind=f.kind,
            label=f.label,
            required=f.required,
            choices=tuple(f.options),
            show_when_key=f.show_when_key,
            show_when_value=f.show_when_value,
        )
        for f in version.fields.order_by("position")
    ]


def messages() -> dict[str, str]:
    return {
        "required": _("This field is required."),
        "too_long": _("This text is too long."),
        "number": _("Give a number."),
        "date": _("Give a date as YYYY-MM-DD."),
        "choice": _("Choose one of the options."),
        "email": _("Give a valid e-mail address."),
        "phone": _("Give a valid phone number."),
        "national_number": _("This is not a valid national register number."),
        "unknown": _("This form has no such field."),
        "not_needed": _("This request does not need your national register number; leave it out."),
        "checkbox": _("Tick the box or leave it empty."),
    }


def _check_files(
    uploads: Sequence[Upload],
) -> tuple[list[documents.CheckedFile], dict[str, list[str]]]:
    checked: list[documents.CheckedFile] = []
    errors: dict[str, list[str]] = {}
    per_field: dict[str, int] = {}
    if len(uploads) > MAX_FILES:
        errors["files"] = [_("At most %(max)d files per request.") % {"max": MAX_FILES}]
        return [], errors
    for upload in uploads:
        per_field[upload.field] = per_field.get(upload.field, 0) + 1
        if per_field[upload.field] > MAX_FILES_PER_FIELD:
            errors[upload.field] = [
                _("At most %(max)d files for this field.") % {"max": MAX_FILES_PER_FIELD}
            ]
            continue
        if len(upload.data) > MAX_UPLOAD_BYTES:
            errors[upload.field] = [
                _("%(file)s is larger than %(max)d MB.")
                % {"file": upload.filename[:100], "max": MAX_UPLOAD_BYTES // (1024 * 1024)}
            ]
            continue
        try:
            one = documents.check_upload(mail.Upload(upload.filename, upload.data))
        except DomainError as error:
            errors[upload.field] = [error.message]
            continue
        if one.content_type not in UPLOAD_TYPES:
            errors[upload.field] = [
                _("%(file)s: only PDF, PNG and JPEG files are accepted.")
                % {"file": one.filename[:100]}
            ]
            continue
        checked.append(one)
    return checked, errors


def check_limits(*, ip: str | None, email: str) -> None:
    if ip and not hit(f"onthaal:eloket:ip:{ip}", *PER_IP):
        raise TooMany(_("Too many requests from this connection. Try again in a few minutes."))
    key = contact_key(email, "")
    if key and not hit(f"onthaal:eloket:email:{key}", *PER_EMAIL):
        message = _("Too many requests for this e-mail address today.")
        raise TooMany(message, fields={"email": [message]})


def _document_type() -> DocumentType:
    found = DocumentType.objects.filter(name=DOCUMENT_TYPE_NAME).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return DocumentType.objects.create(name=DOCUMENT_TYPE_NAME, answer_days=None)
    except IntegrityError:
        return DocumentType.objects.get(name=DOCUMENT_TYPE_NAME)


def _queue(request: Request, template: str, extra: Mapping[str, Any] | None = None) -> None:
    """Queue an e-mail to the citizen, in the caller's transaction."""
    if not request.email:
        return
    with translation.override(request.language or "nl"):
        context = {
            "request": request,
            "product": request.product.name,
            "status": request.get_status_display(),
            "status_url": settings.ONTHAAL_PUBLIC_URL.rstrip("/") + status_url(request),
            "communication": ogm.display(request.communication),
            **(extra or {}),
        }
        subject = render_to_string(f"eloket/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"eloket/email/{template}.txt", context)
    now = clock.now()
    Notification.objects.create(
        request=request,
        recipient=request.email,
        subject=subject[:300],
        body=body,
        next_attempt_at=now,
        created_at=now,
    )


def verify_link(request: Request) -> str:
    signed = signing.dumps(request.reference, salt=VERIFY_SALT)
    return reverse("eloket:verify", kwargs={"signed": signed})


def submit_request(
    *,
    product: Product,
    answers: Mapping[str, Any],
    email: str,
    uploads: Sequence[Upload] = (),
    language: str = "nl",
    client: str = "",
    idempotency_key: str | None = None,
    prefill: Mapping[str, Any] | None = None,
    identity: Identity | None = None,
) -> tuple[Request, str]:
    """File a request: check the answers against the product's current form version and the
    files on their bytes, register an incoming mail item (channel e-loket) with the files as
    its documents, and store the request with its structured communication — one transaction,
    so a refused or failed request leaves no item, no file reference and no register number
    used. Returns the request and the token of its status link.

    ``idempotency_key``: the same key returns the request filed the first time (a
    double-clicked submit files one request).

    ``identity``: the citizen's strong login (``eloket.identity``). A product that needs one is
    refused without it; with it, every national register number field takes the login's
    number, whatever was posted."""
    offer = settings_of(product)
    if offer.strong_login and identity is None:
        raise AccessDenied(
            _("This request needs a strong login (itsme or eID). Sign in and send it again."),
            code="strong_login_required",
        )
    version = current_version(product)
    if idempotency_key:
        earlier = Request.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return _same_sender(earlier, email, client)
    specs = field_specs(version)
    if identity is not None:
        answers = {**answers}
        for spec in specs:
            if spec.kind == "national_number":
                if offer.needs_national_number:
                    answers[spec.key] = identity.national_number
                else:
                    answers.pop(spec.key, None)
    file_counts: dict[str, int] = {}
    for upload in uploads:
        file_counts[upload.field] = file_counts.get(upload.field, 0) + 1
    checked = formspec.check(
        specs,
        answers,
        file_counts,
        messages=messages(),
        national_number_allowed=offer.needs_national_number,
        prefill=prefill,
    )
    errors = dict(checked.errors)
    file_keys = {s.key for s in specs if s.kind == "file"}
    wanted_uploads = [u for u in uploads if u.field in file_keys and checked.files.get(u.field)]
    files, file_errors = _check_files(wanted_uploads)
    for key, value in file_errors.items():
        errors.setdefault(key, value)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [
            _("Give a valid e-mail address: we send the link to your request there.")
        ]
    if errors:
        raise DomainError(_("The request has errors; see the fields."), fields=errors)
    national_number = ""
    if offer.needs_national_number:
        national_number = next(
            (
                str(checked.answers[s.key])
                for s in specs
                if s.kind == "national_number" and s.key in checked.answers
            ),
            "",
        )
    department = product.department
    now = clock.now()
    today = now.astimezone(clock.BRUSSELS).date()
    reference = _new_reference()
    try:
        with transaction.atomic():
            item = mail.register_item(
                actor="system:eloket",
                direction=Direction.IN,
                department=department,
                document_type=_document_type(),
                channel=Channel.ELOKET,
                subject=f"{product.name_nl} ({reference})",
                files=[mail.Upload(f.filename, f.data) for f in files],
            )
            base = (item.year % 100) * 10**8 + (department.organisation_id % 100) * 10**6
            request = Request.objects.create(
                reference=reference,
                token_hash=hash_token(status_token(reference)),
                product=product,
                form_version=version,
                department=department,
                confidential=department.confidential,
                answers=checked.answers,
                email=email,
                national_number=national_number,
                language=(language or "nl")[:2],
                mail_item=item,
                register_number=item.register_number,
                amount=offer.price,
                communication=ogm.make(base + item.sequence % 10**6),
                submitted_at=now,
                due_on=today + dt.timedelta(days=offer.lead_days),
                changed_at=now,
                client_key=client[:64],
                idempotency_key=idempotency_key or None,
            )
            stored = list(item.documents.order_by("position"))
            field_of = [u.field for u in wanted_uploads]
            RequestFile.objects.bulk_create(
                [
                    RequestFile(request=request, field_key=field, document=doc, created_at=now)
                    for field, doc in zip(field_of, stored, strict=False)
                ]
            )
            record_event(
                action=Action.CREATE,
                actor=f"citizen:{reference}",
                object_type=OBJECT_TYPE,
                object_id=reference,
                department=department,
                details={
                    "product": product.pk,
                    "form_version": version.pk,
                    "register_number": item.register_number,
                    "files": [d.sha256 for d in stored],
                    **({"login": identity.pseudonym} if identity is not None else {}),
                },
            )
            _queue(
                request,
                "received",
                {"verify_url": settings.ONTHAAL_PUBLIC_URL.rstrip("/") + verify_link(request)},
            )
    except IntegrityError:
        earlier = (
            Request.objects.filter(idempotency_key=idempotency_key).first()
            if idempotency_key
            else None
        )
        if earlier is None:
            raise
        return _same_sender(earlier, email, client)
    return request, status_token(reference)


def _same_sender(earlier: Request, email: str, client: str) -> tuple[Request, str]:
    """The request filed first with this key, for the same e-mail address from the same
    client; anyone else who presents the key gets a refusal, never that request's link."""
    if earlier.email.lower() != (email or "").strip().lower() or earlier.client_key != client[:64]:
        raise Conflict(_("This key was already used."), code="idempotency_key_used")
    return earlier, status_token(earlier.reference)


def by_token(reference: str, token: str) -> Request:
    """The request for a reference and its status token; one answer for an unknown reference
    and a wrong token."""
    found = (
        Request.objects.select_related("product", "department")
        .filter(reference=(reference or "").upper()[:12], anonymised_at__isnull=True)
        .first()
    )
    if found is None or not found.token_matches(token or ""):
        raise NotFound(_("No request with this reference and link."))
    return found


def verify_email(signed: str) -> Request:
    try:
        reference = signing.loads(signed, salt=VERIFY_SALT, max_age=dt.timedelta(days=7))
    except signing.BadSignature:
        raise NotFound(_("This confirmation link is not valid or has expired.")) from None
    with transaction.atomic():
        request = Request.objects.select_for_update().filter(reference=reference).first()
        if request is None:
            raise NotFound(_("This confirmation link is not valid or has expired."))
        if request.email_verified_at is None:
            request.email_verified_at = clock.now()
            request.save(update_fields=["email_verified_at"])
            record_event(
                action=Action.UPDATE,
                actor=f"citizen:{reference}",
                object_type=OBJECT_TYPE,
                object_id=reference,
                department=request.department,
                details={"email_verified": True},
            )
    return request


def _locked(request: Request) -> Request:
    return (
        Request.objects.select_for_update()
        .select_related("department", "product")
        .get(pk=request.pk)
    )


def _require(actor: Any, capability: str, request: Request) -> None:
    access.require(
        actor, capability, request.department, object_type=OBJECT_TYPE, object_id=request.reference
    )


def _move(request: Request, to: str, actor: Any, details: dict[str, Any]) -> None:
    if to not in TRANSITIONS.get(request.status, ()):
        raise Conflict(
            _("This is not possible while the request is %(status)s.")
            % {"status": request.get_status_display()},
            code="invalid_transition",
        )
    before = request.status
    now = clock.now()
    request.status = to
    request.changed_at = now
    request.finished_at = now if to in FINAL_STATUSES else None
    request.save(update_fields=["status", "changed_at", "finished_at", "reason"])
    record_event(
        action=Action.TRANSITION,
        actor=actor,
        object_type=OBJECT_TYPE,
        object_id=request.reference,
        department=request.department,
        details={"from": before, "to": to, **details},
    )


# A request that is not paid in full does not become ready or closed without a reason.
PAID_STATUSES = (Status.READY, Status.CLOSED)


def unpaid_check(request: Request, override_reason: str) -> dict[str, Any]:
    """The unpaid guard: a request with something left to pay moves to ready or closed only
    with a reason given by the staff member (paid at the counter, exempted, ...). Returns what
    the transition's audit event keeps of the override; refuses (409 ``unpaid``, on the field
    ``override_reason``) without a reason."""
    outstanding = request.outstanding
    if outstanding <= 0:
        return {}
    reason = (override_reason or "").strip()
    if not reason:
        text = _(
            "This request is not paid in full: %(amount)s is still to be paid. Give the reason "
            "to go on anyway (for example: paid at the counter)."
        ) % {"amount": amount_text(outstanding)}
        raise Conflict(text, code="unpaid", fields={"override_reason": [text]})
    if len(reason) > 300:
        text = _("This text is too long.")
        raise DomainError(text, fields={"override_reason": [text]})
    return {"unpaid_override": {"reason": reason, "outstanding": str(outstanding)}}


def transition(
    *, actor: Any, request: Request, to: str, message: str = "", override_reason: str = ""
) -> Request:
    """Staff move the request on (a state of ``TRANSITIONS``), with a message to the citizen
    (required when asking for something or rejecting); the citizen is e-mailed through the
    outbox. To ready or closed while something is left to pay only with ``override_reason``
    (``unpaid_check``), kept in the audit event."""
    message = (message or "").strip()
    if to not in Status.values:
        text = _("Unknown status.")
        raise DomainError(text, fields={"to": [text]})
    if to in (Status.WAITING, Status.REJECTED) and not message:
        text = _("Tell the citizen what is missing or why the request is rejected.")
        raise DomainError(text, fields={"message": [text]})
    if len(message) > 5000:
        text = _("This text is too long.")
        raise DomainError(text, fields={"message": [text]})
    with transaction.atomic():
        locked = _locked(request)
        _require(actor, "eloket.handle", locked)
        details: dict[str, Any] = {"message": bool(message)}
        if to in PAID_STATUSES and to in TRANSITIONS.get(locked.status, ()):
            details.update(unpaid_check(locked, override_reason))
        if to == Status.REJECTED:
            locked.reason = message[:500]
        _move(locked, to, actor, details)
        if message:
            RequestMessage.objects.create(
                request=locked,
                direction=RequestMessage.Direction.TO_CITIZEN,
                body=message,
                author=actor if getattr(actor, "is_authenticated", False) else None,
                status=to,
                created_at=clock.now(),
            )
        _queue(locked, "changed", {"message": message})
    return locked


def assign(*, actor: Any, request: Request, assignee: Any) -> Request:
    with transaction.atomic():
        locked = _locked(request)
        _require(actor, "eloket.handle", locked)
        if assignee is not None and not access.can(assignee, "eloket.handle", locked.department):
            text = _("This colleague cannot handle requests of %(department)s.") % {
                "department": locked.department.name
            }
            raise DomainError(text, fields={"assignee": [text]})
        locked.assignee = assignee
        locked.save(update_fields=["assignee"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=locked.reference,
            department=locked.department,
            details={"assignee": getattr(assignee, "pk", None)},
        )
    return locked


def citizen_answer(
    *, reference: str, token: str, body: str, uploads: Sequence[Upload] = ()
) -> Request:
    """The citizen answers a request that waits for them: a message and/or files. The request
    goes back to "in progress". Only possible while it waits: a filed request cannot be
    altered otherwise."""
    request = by_token(reference, token)
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if not body and not uploads:
        errors["body"] = [_("Write an answer or add a file.")]
    if len(body) > 5000:
        errors["body"] = [_("This text is too long.")]
    files, file_errors = _check_files([dataclasses.replace(u, field="files") for u in uploads])
    errors.update(file_errors)
    if errors:
        raise DomainError(_("The answer has errors; see the fields."), fields=errors)
    with transaction.atomic():
        locked = _locked(request)
        if locked.status != Status.WAITING:
            raise Conflict(
                _("This request does not wait for an answer from you."), code="invalid_transition"
            )
        now = clock.now()
        stored = documents.add_documents(locked.mail_item, files, now=now)
        RequestFile.objects.bulk_create(
            [RequestFile(request=locked, field_key="", document=d, created_at=now) for d in stored]
        )
        if body:
            RequestMessage.objects.create(
                request=locked,
                direction=RequestMessage.Direction.FROM_CITIZEN,
                body=body,
                created_at=now,
            )
        _move(
            locked,
            Status.IN_PROGRESS,
            f"citizen:{locked.reference}",
            {"answer": True, "files": [d.sha256 for d in stored]},
        )
    if stored:
        transaction.on_commit(lambda: documents.schedule_processing(locked.mail_item))
    return locked


def produce_document(*, actor: Any, request: Request) -> Request:
    """Make the request's document: an outgoing mail item answering the request's incoming one
    (its own register number on it), printed as PDF from the product's text with the
    organisation's letterhead."""
    from onthaal.mail import letters

    with transaction.atomic():
        locked = _locked(request)
        _require(actor, "eloket.handle", locked)
        if locked.status in FINAL_STATUSES:
            raise Conflict(
                _("This is not possible while the request is %(status)s.")
                % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        offer = ProductSettings.objects.get(product=locked.product)
        text = offer.document_text.strip()
        if not text:
            message = _("This product has no document text.")
            raise DomainError(message, code="no_document", fields={"document": [message]})
        answers = locked.answers or {}
        for key, value in answers.items():
            text = text.replace("{" + key + "}", str(value))
        text = text.replace("{reference}", locked.reference)
        out = mail.register_item(
            actor=actor,
            direction=Direction.OUT,
            department=locked.department,
            document_type=_document_type(),
            channel=Channel.ELOKET,
            subject=f"{locked.product.name_nl} ({locked.reference})",
            answers=locked.mail_item,
        )
        pdf = letters.render(
            item=out, answers=locked.mail_item, body=text, language=locked.language
        )
        checked = documents.check_upload(mail.Upload(f"{out.register_number}.pdf", pdf))
        stored = documents.add_documents(out, [checked], now=clock.now())
        locked.document_item = out
        locked.save(update_fields=["document_item"])
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=locked.reference,
            department=locked.department,
            details={"document": out.register_number, "sha256": stored[0].sha256},
        )
    return locked


def download_token(request: Request) -> str:
    """A signed token for the document's download link; it expires after DOWNLOAD_DAYS."""
    return signing.dumps(request.reference, salt=DOWNLOAD_SALT)


def document_for_download(reference: str, signed: str) -> tuple[Request, str, bytes]:
    """The document's bytes for the citizen's download link (expiring), recorded as a read."""
    try:
        found = signing.loads(signed, salt=DOWNLOAD_SALT, max_age=dt.timedelta(days=DOWNLOAD_DAYS))
    except signing.BadSignature:
        raise NotFound(_("This download link is not valid or has expired.")) from None
    if found != reference:
        raise NotFound(_("This download link is not valid or has expired."))
    request = (
        Request.objects.select_related("document_item", "department")
        .filter(reference=reference, anonymised_at__isnull=True, document_item__isnull=False)
        .first()
    )
    if request is None or request.document_item is None:
        raise NotFound(_("This download link is not valid or has expired."))
    document = request.document_item.documents.order_by("position").first()
    if document is None:
        raise NotFound(_("This download link is not valid or has expired."))
    data = documents.get(document.sha256)
    record_event(
        action=Action.DOWNLOAD,
        actor=f"citizen:{reference}",
        object_type=OBJECT_TYPE,
        object_id=reference,
        department=request.department,
        details={"document": request.document_item.register_number},
    )
    return request, document.filename, data


@dataclasses.dataclass
class ImportResult:
    statement: BankStatement
    payments: list[Payment]
    skipped: int


def import_statement(*, actor: Any, filename: str, data: bytes) -> ImportResult:
    """Import a CAMT.053 statement: each credit is matched to a request by its structured
    communication. Paid in full: the request is paid; less: partly paid; again or more: paid
    twice; no request with that communication: unknown — the last three are listed for a
    person to resolve. A file imported before is refused; a transaction already read from an
    earlier statement is skipped."""
    access.require(actor, "eloket.payments", object_type="eloket.statement")
    try:
        parsed = camt.parse(data)
    except camt.NotCamt as error:
        message = _("This file is not a CAMT.053 bank statement: %(reason)s.") % {
            "reason": str(error)
        }
        raise DomainError(message, code="not_camt", fields={"file": [message]}) from None
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                statement = BankStatement.objects.create(
                    filename=filename[:255],
                    sha256=sha,
                    identification=parsed.identification,
                    iban=parsed.iban,
                    imported_by=actor,
                    imported_at=clock.now(),
                )
        except IntegrityError:
            message = _("This bank statement was imported before.")
            raise Conflict(message, code="already_imported", fields={"file": [message]}) from None
        known = set(
            Payment.objects.filter(
                bank_reference__in=[e.reference for e in parsed.entries]
            ).values_list("bank_reference", flat=True)
        )
        payments: list[Payment] = []
        skipped = 0
        for entry in parsed.entries:
            if entry.reference in known or entry.currency != "EUR":
                skipped += 1
                continue
            known.add(entry.reference)
            request = None
            if entry.communication:
                request = (
                    Request.objects.select_for_update()
                    .filter(communication=entry.communication)
                    .first()
                )
            outcome = Payment.Outcome.UNMATCHED
            if request is not None:
                before = request.paid
                after = before + entry.amount
                if before >= request.amount:
                    outcome = Payment.Outcome.DOUBLE
                elif after < request.amount:
                    outcome = Payment.Outcome.PARTIAL
                elif after > request.amount:
                    outcome = Payment.Outcome.DOUBLE
                else:
                    outcome = Payment.Outcome.MATCHED
                Request.objects.filter(pk=request.pk).update(paid=F("paid") + entry.amount)
            payments.append(
                Payment.objects.create(
                    statement=statement,
                    bank_reference=entry.reference,
                    request=request,
                    communication=entry.communication or entry.text[:300],
                    amount=entry.amount,
                    booked_on=entry.booked_on,
                    debtor=entry.debtor,
                    outcome=outcome,
                )
            )
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="eloket.statement",
            object_id=statement.pk,
            details={
                "sha256": sha,
                "payments": len(payments),
                "skipped": skipped,
                "outcomes": {
                    o: sum(p.outcome == o for p in payments) for o in Payment.Outcome.values
                },
            },
        )
    return ImportResult(statement=statement, payments=payments, skipped=skipped)


def resolve_payment(*, actor: Any, payment: Payment, note: str) -> Payment:
    """A person settled a partial, double or unknown payment (refunded, asked the rest,
    booked elsewhere), with a note."""
    access.require(
        actor, "eloket.payments", object_type="eloket.payment", object_id=str(payment.pk)
    )
    note = (note or "").strip()
    if not note:
        message = _("Say how the payment was resolved.")
        raise DomainError(message, fields={"note": [message]})
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.outcome in (Payment.Outcome.MATCHED, Payment.Outcome.RESOLVED):
            raise Conflict(_("This payment needs no resolving."), code="invalid_transition")
        before = locked.outcome
        locked.outcome = Payment.Outcome.RESOLVED
        locked.note = note[:300]
        locked.resolved_by = actor
        locked.save(update_fields=["outcome", "note", "resolved_by"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="eloket.payment",
            object_id=locked.pk,
            details={"from": before, "to": "resolved"},
        )
    return locked


def paid_in_full(request: Request) -> bool:
    return request.amount == 0 or request.paid >= request.amount


def amount_text(amount: Decimal) -> str:
    return f"€ {amount:.2f}".replace(".", ",")


def client_hash(address: str | None) -> str:
    """What a request keeps of the client that filed it: a keyed hash of its address."""
    return salted_hmac("onthaal.eloket.client", address or "-").hexdigest()
