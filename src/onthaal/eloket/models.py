"""The digital counter (e-loket): per product its settings and form (versioned, with ordered
fields), the requests citizens file, their messages and files, and the payments read from the
bank's statements."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Delivery(models.TextChoices):
    DOWNLOAD = "download", _("download")
    POST = "post", _("by post")
    PICKUP = "pickup", _("pick up at the quick counter")


class ProductSettings(models.Model):
    """How a product is offered on the e-loket."""

    product = models.OneToOneField(
        "catalogue.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="eloket",
    )
    active = models.BooleanField(_("offered on the e-loket"), default=True)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=Delivery.choices, default=Delivery.DOWNLOAD
    )
    price = models.DecimalField(
        _("price (EUR)"), max_digits=8, decimal_places=2, default=0, help_text=_("0: free.")
    )
    lead_days = models.PositiveSmallIntegerField(_("handled within (days)"), default=5)
    bring_nl = models.TextField(_("what to bring or upload (Dutch)"), blank=True)
    bring_fr = models.TextField(_("what to bring or upload (French)"), blank=True)
    bring_en = models.TextField(_("what to bring or upload (English)"), blank=True)
    needs_national_number = models.BooleanField(
        _("needs the national register number"),
        default=False,
        help_text=_("Only then may the form ask for it, and is it kept."),
    )
    strong_login = models.BooleanField(_("needs a strong login"), default=False)
    document_text = models.TextField(
        _("text of the document"),
        blank=True,
        help_text=_("The body of the PDF made when the request is ready. Empty: no document."),
    )

    class Meta:
        verbose_name = _("e-loket product")
        verbose_name_plural = _("e-loket products")
        ordering = ["product__name_nl"]
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery__in=["download", "post", "pickup"]),
                name="eloket_settings_delivery_valid",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="eloket_settings_price_pos"),
        ]

    def __str__(self) -> str:
        return str(self.product)

    @property
    def bring(self) -> str:
        lang = (get_language() or "nl")[:2]
        return getattr(self, f"bring_{lang}", "") or self.bring_nl

    @property
    def bring_list(self) -> list[str]:
        return [line.strip() for line in self.bring.splitlines() if line.strip()]


class Form(models.Model):
    """The form of a product; what is filled in is one of its versions."""

    product = models.OneToOneField(
        "catalogue.Product",
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="eloket_form",
    )

    class Meta:
        verbose_name = _("form")
        verbose_name_plural = _("forms")

    def __str__(self) -> str:
        return str(self.product)


class FormVersion(models.Model):
    """One version of a form. The citizen fills in the newest published version; a request
    keeps the version it was filed with, so a version in use is never changed (the admin
    offers "new version" instead)."""

    form = models.ForeignKey(
        Form, verbose_name=_("form"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveSmallIntegerField(_("version"))
    published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="eloket_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="eloket_version_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.form} v{self.number}"


class FieldKind(models.TextChoices):
    TEXT = "text", _("text")
    LONG_TEXT = "long_text", _("long text")
    NUMBER = "number", _("number")
    DATE = "date", _("date")
    CHOICE = "choice", _("choice")
    CHECKBOX = "checkbox", _("checkbox")
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("phone")
    ADDRESS = "address", _("address")
    NATIONAL_NUMBER = "national_number", _("national register number")
    FILE = "file", _("file upload")


class FormField(models.Model):
    version = models.ForeignKey(
        FormVersion, verbose_name=_("form version"), on_delete=models.CASCADE, related_name="fields"
    )
    position = models.PositiveSmallIntegerField(_("order"))
    key = models.SlugField(
        _("key"), max_length=50, help_text=_("The field's name in the answers and the API.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=FieldKind.choices)
    label_nl = models.CharField(_("label (Dutch)"), max_length=200)
    label_fr = models.CharField(_("label (French)"), max_length=200, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    help_nl = models.CharField(_("help text (Dutch)"), max_length=300, blank=True)
    help_fr = models.CharField(_("help text (French)"), max_length=300, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.TextField(_("options"), blank=True, help_text=_("One option per line."))
    show_when_key = models.SlugField(
        _("show only when field"), max_length=50, blank=True, help_text=_("The key of a field.")
    )
    show_when_value = models.CharField(_("has the value"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="eloket_field_key_unique"),
            models.UniqueConstraint(
                fields=["version", "position"], name="eloket_field_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=FieldKind.values), name="eloket_field_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label_nl}"

    def _lang(self, name: str) -> str:
        lang = (get_language() or "nl")[:2]
        return getattr(self, f"{name}_{lang}", "") or getattr(self, f"{name}_nl")

    @property
    def label(self) -> str:
        return self._lang("label")

    @property
    def help(self) -> str:
        return self._lang("help")

    @property
    def options(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class Status(models.TextChoices):
    RECEIVED = "received", _("received")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING = "waiting_for_citizen", _("waiting for you")
    READY = "ready", _("ready")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("rejected")


FINAL_STATUSES = (Status.CLOSED, Status.REJECTED)
OPEN_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS, Status.WAITING, Status.READY)

# The lifecycle as data: status -> statuses it may go to. The citizen's answer moves a request
# that waits for them back to "in progress".
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.RECEIVED: (Status.IN_PROGRESS, Status.WAITING, Status.READY, Status.REJECTED),
    Status.IN_PROGRESS: (Status.WAITING, Status.READY, Status.REJECTED),
    Status.WAITING: (Status.IN_PROGRESS, Status.REJECTED),
    Status.READY: (Status.CLOSED,),
    Status.CLOSED: (),
    Status.REJECTED: (),
}


class Request(models.Model):
    """One request filed on the e-loket ("aanvraag")."""

    reference = models.CharField(_("reference"), max_length=12, unique=True)
    token_hash = models.CharField(max_length=64, editable=False)
    product = models.ForeignKey(
        "catalogue.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="eloket_requests",
    )
    form_version = models.ForeignKey(
        FormVersion,
        verbose_name=_("form version"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="eloket_requests",
    )
    confidential = models.BooleanField(_("confidential"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    email_verified_at = models.DateTimeField(_("e-mail confirmed"), null=True, blank=True)
    national_number = models.CharField(_("national register number"), max_length=11, blank=True)
    language = models.CharField(_("language"), max_length=5, default="nl")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        related_name="eloket_requests",
        null=True,
        blank=True,
    )
    mail_item = models.OneToOneField(
        "mail.MailItem",
        verbose_name=_("mail item"),
        on_delete=models.PROTECT,
        related_name="eloket_request",
    )
    register_number = models.CharField(_("register number"), max_length=20)
    document_item = models.ForeignKey(
        "mail.MailItem",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    amount = models.DecimalField(_("amount due"), max_digits=8, decimal_places=2, default=0)
    paid = models.DecimalField(_("paid"), max_digits=10, decimal_places=2, default=0)
    communication = models.CharField(_("structured communication"), max_length=12, unique=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))
    due_on = models.DateField(_("due"))
    changed_at = models.DateTimeField(_("last change"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    # The ticket the kiosk issued for picking the request up at the quick counter
    # (``eloket.pickup``): the desk that calls it sees the request and hands it over.
    pickup_ticket = models.OneToOneField(
        "queue.Ticket",
        verbose_name=_("pick-up ticket"),
        on_delete=models.SET_NULL,
        related_name="eloket_pickup",
        null=True,
        blank=True,
    )
    client_key = models.CharField(max_length=64, blank=True)
    # A browser's key for "file this once": a double click files one request.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("e-loket request")
        verbose_name_plural = _("e-loket requests")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="eloket_request_status_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="eloket_request_amount_pos"),
            models.CheckConstraint(
                condition=Q(status__in=["closed", "rejected"]) | Q(finished_at__isnull=True),
                name="eloket_request_finished_only_final",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["closed", "rejected"]) | Q(finished_at__isnull=False),
                name="eloket_request_final_is_finished",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_on"], name="eloket_request_work"),
            models.Index(fields=["assignee", "status"], name="eloket_request_assignee"),
            models.Index(fields=["finished_at"], name="eloket_request_finished"),
            # The work list: the open requests of a department by due date.
            models.Index(
                fields=["department", "due_on", "id"],
                condition=Q(finished_at__isnull=True),
                name="eloket_request_open_due",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("eloket:staff-request", kwargs={"reference": self.reference})

    def token_matches(self, token: str) -> bool:
        return bool(token) and secrets.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.paid, Decimal(0))


class RequestMessage(models.Model):
    class Direction(models.TextChoices):
        TO_CITIZEN = "out", _("to the citizen")
        FROM_CITIZEN = "in", _("from the citizen")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    status = models.CharField(_("status"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")
        ordering = ["request", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=["out", "in"]), name="eloket_message_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.direction}"


class RequestFile(models.Model):
    """A file the citizen uploaded for a form field (or later, while asked for it). The
    bytes are a document of the request's mail item (checked and stored by the mail app)."""

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="files"
    )
    field_key = models.CharField(_("field"), max_length=50, blank=True)
    document = models.OneToOneField(
        "mail.Document", verbose_name=_("document"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("request file")
        verbose_name_plural = _("request files")
        ordering = ["request", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.field_key}"


class Notification(models.Model):
    """The e-loket's outbox: an e-mail to the citizen (confirm your address, your request
    changed), written in the transaction that decides it and sent by the worker."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    request = models.ForeignKey(
        Request, verbose_name=_("request"), on_delete=models.CASCADE, related_name="notifications"
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("e-loket message")
        verbose_name_plural = _("e-loket messages")
        ordering = ["next_attempt_at", "pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="eloket_notif_due")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.subject}"


class BankStatement(models.Model):
    """An imported CAMT.053 file: once per content (its SHA-256)."""

    filename = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    identification = models.CharField(_("statement"), max_length=100, blank=True)
    iban = models.CharField(_("account"), max_length=34, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported"))

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.identification or self.filename


class Payment(models.Model):
    """One credit on a bank statement and what it was matched to."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("paid")
        PARTIAL = "partial", _("partly paid")
        DOUBLE = "double", _("paid twice or too much")
        UNMATCHED = "unmatched", _("unknown communication")
        RESOLVED = "resolved", _("resolved")

    statement = models.ForeignKey(
        BankStatement,
        verbose_name=_("bank statement"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    bank_reference = models.CharField(_("bank reference"), max_length=100, unique=True)
    request = models.ForeignKey(
        Request,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    communication = models.CharField(_("communication"), max_length=300, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    booked_on = models.DateField(_("booked on"), null=True, blank=True)
    debtor = models.CharField(_("paid by"), max_length=200, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["matched", "partial", "double", "unmatched", "resolved"]),
                name="eloket_payment_outcome_valid",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="eloket_payment_amount_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.bank_reference} {self.amount}"
