"""The mail register: incoming and outgoing mail items, their documents, correspondents and
document types, who may see what (grants), and the rules that suggest how to route mail.

Field names follow the RGBZ/ZGW vocabulary in the API where they fit (ontvangstdatum,
verzenddatum, vertrouwelijkheidaanduiding, informatieobjecttype); in the code they are English.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    IN = "in", _("incoming")
    OUT = "out", _("outgoing")


# The register number's prefix per direction: IN-2027-000123, UIT-2027-000045.
REGISTER_PREFIX = {Direction.IN: "IN", Direction.OUT: "UIT"}


def register_number(direction: str, year: int, sequence: int) -> str:
    return f"{REGISTER_PREFIX[Direction(direction)]}-{year:04d}-{sequence:06d}"


class Channel(models.TextChoices):
    POST = "post", _("post")
    EMAIL = "email", _("e-mail")
    COUNTER = "counter", _("at the counter")
    ELOKET = "eloket", _("digital counter")
    INTERNAL = "internal", _("internal")


class Status(models.TextChoices):
    REGISTERED = "registered", _("registered")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")


OPEN_STATUSES = (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS)
# A handler is named in these statuses (a database check holds it so).
HANDLED_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED)

# The lifecycle: action -> (statuses it may start from, status it leads to). An item that is
# reassigned goes back to "assigned": the new handler has not started yet.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "assign": ((Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS), Status.ASSIGNED),
    "start": ((Status.ASSIGNED,), Status.IN_PROGRESS),
    "answer": ((Status.ASSIGNED, Status.IN_PROGRESS), Status.ANSWERED),
    "close": (
        (Status.REGISTERED, Status.ASSIGNED, Status.IN_PROGRESS, Status.ANSWERED),
        Status.CLOSED,
    ),
}


class Confidentiality(models.TextChoices):
    """The RGBZ "vertrouwelijkheidaanduiding", from least to most restricted."""

    PUBLIC = "openbaar", _("public")
    LIMITED_PUBLIC = "beperkt_openbaar", _("limited public")
    INTERNAL = "intern", _("internal")
    CASE_CONFIDENTIAL = "zaakvertrouwelijk", _("confidential to the case")
    CONFIDENTIAL = "vertrouwelijk", _("confidential")
    STRICTLY_CONFIDENTIAL = "confidentieel", _("strictly confidential")
    SECRET = "geheim", _("secret")
    TOP_SECRET = "zeer_geheim", _("top secret")


# From this level on, an item is visible only to members of its own department (and to
# colleagues granted access), never to administration-wide roles.
RESTRICTED_LEVELS = frozenset(
    {
        Confidentiality.CONFIDENTIAL,
        Confidentiality.STRICTLY_CONFIDENTIAL,
        Confidentiality.SECRET,
        Confidentiality.TOP_SECRET,
    }
)


class FinalAction(models.TextChoices):
    DESTROY = "destroy", _("destroy")
    TRANSFER = "transfer", _("transfer to the archive")


class DocumentType(models.Model):
    """What kind of mail this is ("informatieobjecttype"): its confidentiality, how soon it
    must be answered, and how long it is kept."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=20,
        choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )
    answer_days = models.PositiveSmallIntegerField(
        _("answer within (days)"),
        null=True,
        blank=True,
        help_text=_("Empty: no answer is expected."),
    )
    retention_years = models.PositiveSmallIntegerField(_("retention period (years)"), default=10)
    final_action = models.CharField(
        _("after the retention period"),
        max_length=10,
        choices=FinalAction.choices,
        default=FinalAction.DESTROY,
    )
    subject_personal = models.BooleanField(
        _("subject may name a person"),
        default=True,
        help_text=_("Destroying an item of this type also clears its subject."),
    )

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidentiality__in=Confidentiality.values),
                name="mail_doctype_confidentiality_valid",
            ),
            models.CheckConstraint(
                condition=Q(final_action__in=FinalAction.values),
                name="mail_doctype_final_action_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def restricted(self) -> bool:
        return self.confidentiality in RESTRICTED_LEVELS


class Correspondent(models.Model):
    """A sender or addressee: a citizen, a company or a government body. Reused across items."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("citizen")
        COMPANY = "company", _("company")
        GOVERNMENT = "government", _("government body")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CITIZEN)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("correspondent")
        verbose_name_plural = _("correspondents")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="mail_correspondent_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def address_lines(self) -> list[str]:
        return [p for p in [self.street, f"{self.postal_code} {self.city}".strip()] if p]


class RegisterCounter(models.Model):
    """The last register number given per organisation, direction and year.

    Taken with a row lock inside the registering transaction (``services.register_item``):
    concurrent registrations queue on the row, and a registration that fails rolls its
    increment back with it, so the numbers have neither duplicates nor holes (ADR 0008).
    """

    organisation = models.ForeignKey(
        "organisation.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("register counter")
        verbose_name_plural = _("register counters")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "direction", "year"], name="mail_counter_unique"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="mail_counter_direction_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.direction} {self.year}: {self.last}"


class MailItem(models.Model):
    """One registered letter or e-mail, incoming or outgoing ("poststuk")."""

    public_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisation.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="mail_items",
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    year = models.PositiveSmallIntegerField(_("register year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    register_number = models.CharField(_("register number"), max_length=20)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    correspondent = models.ForeignKey(
        Correspondent,
        verbose_name=_("correspondent"),
        on_delete=models.PROTECT,
        related_name="items",
        null=True,
        blank=True,
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    document_type = models.ForeignKey(
        DocumentType,
        verbose_name=_("document type"),
        on_delete=models.PROTECT,
        related_name="items",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="mail_items",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        related_name="mail_handled",
        null=True,
        blank=True,
    )
    routing_note = models.CharField(_("note for the handler"), max_length=500, blank=True)
    due_date = models.DateField(_("answer due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    # Visible only to members of the department (and to granted colleagues): the department
    # is confidential (the OCMW social service) or the type's level is restricted. Fixed at
    # registration, so that lists filter on one column.
    confidential = models.BooleanField(_("confidential"), default=False)
    answers = models.ForeignKey(
        "self",
        verbose_name=_("answers"),
        on_delete=models.PROTECT,
        related_name="answered_by",
        null=True,
        blank=True,
    )
    ticket = models.ForeignKey(
        "queue.Ticket",
        verbose_name=_("concerns ticket"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("concerns appointment"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
    )
    registered_at = models.DateTimeField(_("registered at"))
    # A client's key for "register this once": a double click or a retried upload gets the
    # item registered the first time, not a second number.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)
    transferred_at = models.DateTimeField(_("transferred to the archive"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail item")
        verbose_name_plural = _("mail items")
        ordering = ["-registered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "direction", "year", "sequence"],
                name="mail_item_sequence_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "register_number"], name="mail_item_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="mail_item_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="mail_item_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="mail_item_channel_valid"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="mail_item_sequence_pos"),
            models.CheckConstraint(
                condition=~Q(status__in=HANDLED_STATUSES) | Q(handler__isnull=False),
                name="mail_item_handler_when_handled",
            ),
            models.CheckConstraint(
                condition=Q(answers__isnull=True) | Q(direction=Direction.OUT),
                name="mail_item_only_outgoing_answers",
            ),
            models.CheckConstraint(
                condition=Q(answers__isnull=True) | ~Q(answers=F("pk")),
                name="mail_item_not_answering_itself",
            ),
        ]
        indexes = [
            models.Index(fields=["department", "status", "due_date"], name="mail_item_inbox"),
            models.Index(fields=["handler", "status", "due_date"], name="mail_item_handler"),
            # Lists and searches with many hits, newest first: read in this order until a
            # page is full (selectors.search_items).
            models.Index(fields=["registered_at", "id"], name="mail_item_recent"),
            # The same within one department: a reader of one department's mail (most
            # readers) reads only that department's items in date order.
            models.Index(
                fields=["department", "registered_at", "id"], name="mail_item_department_recent"
            ),
            # A search by register number across organisations (search.matches).
            models.Index(fields=["register_number"], name="mail_item_number"),
        ]

    def __str__(self) -> str:
        return self.register_number

    def get_absolute_url(self) -> str:
        return reverse("mail:item", kwargs={"public_id": self.public_id})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Document(models.Model):
    """One file of an item. The original bytes are kept unchanged in content-addressed storage
    under their SHA-256 (checked on every read); a PDF rendition and a page-1 thumbnail are
    made where the tools are present."""

    class TextStatus(models.TextChoices):
        PENDING = "pending", _("text recognition waiting")
        DONE = "done", _("text available")
        NONE = "none", _("no text in this file")
        UNAVAILABLE = "unavailable", _("text recognition not available")
        FAILED = "failed", _("text recognition failed")

    item = models.ForeignKey(
        MailItem, verbose_name=_("mail item"), on_delete=models.PROTECT, related_name="documents"
    )
    position = models.PositiveSmallIntegerField(_("number"))
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rendition_sha256 = models.CharField(max_length=64, blank=True)
    thumbnail_sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_status = models.CharField(
        _("text"), max_length=12, choices=TextStatus.choices, default=TextStatus.PENDING
    )
    text_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("added"))
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="mail_document_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="mail_document_pos_pos"),
            models.CheckConstraint(
                condition=Q(text_status__in=["pending", "done", "none", "unavailable", "failed"]),
                name="mail_document_text_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["sha256"], name="mail_document_sha256")]

    def __str__(self) -> str:
        return f"{self.item_id}/{self.position} {self.filename}"


class AccessGrant(models.Model):
    """A handler lets a named colleague see one item for a while, for a stated reason."""

    item = models.ForeignKey(
        MailItem, verbose_name=_("mail item"), on_delete=models.PROTECT, related_name="grants"
    )
    grantee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("colleague"),
        on_delete=models.CASCADE,
        related_name="mail_grants",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300)
    created_at = models.DateTimeField(_("granted at"))
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="mail_grant_expires_after"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="mail_grant_reason_given"),
        ]
        indexes = [models.Index(fields=["grantee", "expires_at"], name="mail_grant_grantee")]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.grantee_id}"


class MailRule(models.Model):
    """A suggestion rule for intake, set by a team lead: when the sender, a keyword or a regular
    expression matches, suggest a document type, department and handler."""

    class Match(models.TextChoices):
        SENDER = "sender", _("sender contains")
        KEYWORD = "keyword", _("text contains the word")
        REGEX = "regex", _("text matches the regular expression")

    name = models.CharField(_("name"), max_length=200)
    match = models.CharField(_("when"), max_length=10, choices=Match.choices)
    pattern = models.CharField(_("pattern"), max_length=300)
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="mail_rules",
    )
    document_type = models.ForeignKey(
        DocumentType,
        verbose_name=_("document type"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers are tried first.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("intake rule")
        verbose_name_plural = _("intake rules")
        ordering = ["priority", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(match__in=["sender", "keyword", "regex"]), name="mail_rule_match_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OutgoingMessage(models.Model):
    """The mail register's outbox: an answer by e-mail (with the item's documents attached) or
    a reminder to a handler, sent by the worker (``outbox.send_due``), retried with back-off."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("answer by e-mail")
        REMINDER = "reminder", _("reminder")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    item = models.ForeignKey(
        MailItem, verbose_name=_("mail item"), on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    # The due date a reminder is about: one reminder per item and due date.
    due_date = models.DateField(null=True, blank=True)
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
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["next_attempt_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "due_date"],
                condition=Q(kind="reminder"),
                name="mail_message_one_reminder",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="mail_message_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="mail_message_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.item_id}"


class DestructionList(models.Model):
    """The items of one organisation whose retention period ended by the start of ``year``,
    with their final action, as the system drew them up at a person's request (or by itself
    once a year: ``proposed_by`` is then empty); carried out only after a second person
    approved it (the database refuses an approval by the proposer)."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        CARRIED_OUT = "carried_out", _("carried out")

    # Empty only on the lists drawn up before lists were kept per organisation.
    organisation = models.ForeignKey(
        "organisation.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=12, choices=State.choices, default=State.PROPOSED
    )
    # Empty: the system drew the list up by itself (the yearly proposal).
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved or rejected by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    carried_out_at = models.DateTimeField(_("carried out at"), null=True, blank=True)

    class Meta:
        verbose_name = _("destruction list")
        verbose_name_plural = _("destruction lists")
        ordering = ["-year", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "rejected", "carried_out"]),
                name="mail_destruction_status_valid",
            ),
            # The four-eyes rule, in the database: whoever decides is not the proposer.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="mail_destruction_second_person",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(decided_by__isnull=False),
                name="mail_destruction_decided_by_someone",
            ),
            # One list per organisation and year that is not rejected.
            models.UniqueConstraint(
                fields=["organisation", "year"],
                condition=~Q(status="rejected"),
                name="mail_destruction_one_per_org_year",
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=~Q(status="rejected") & Q(organisation__isnull=True),
                name="mail_destruction_one_per_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("mail:retention-list", kwargs={"pk": self.pk})


class DestructionLine(models.Model):
    """One item on a destruction list, with the final action its type gave when the list was
    drawn up. An item is on at most one list that was not rejected."""

    destruction_list = models.ForeignKey(
        DestructionList,
        verbose_name=_("destruction list"),
        on_delete=models.PROTECT,
        related_name="lines",
    )
    item = models.ForeignKey(
        MailItem, verbose_name=_("mail item"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("final action"), max_length=10, choices=FinalAction.choices)
    # Set when the list is rejected, or the item taken off the list: the item may go on a
    # later list.
    withdrawn = models.BooleanField(default=False)
    # Who took the item off the proposed list, when and why (empty when the list was rejected).
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken off by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    withdrawn_at = models.DateTimeField(_("taken off at"), null=True, blank=True)
    withdrawn_reason = models.CharField(_("reason for taking off"), max_length=300, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("destruction list line")
        verbose_name_plural = _("destruction list lines")
        ordering = ["destruction_list", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(withdrawn=False), name="mail_destruction_item_once"
            ),
            models.CheckConstraint(
                condition=Q(action__in=FinalAction.values), name="mail_destruction_action_valid"
            ),
            # An item taken off by a person has a reason, and was not carried out.
            models.CheckConstraint(
                condition=Q(withdrawn_by__isnull=True)
                | (Q(withdrawn=True) & ~Q(withdrawn_reason="") & Q(done_at__isnull=True)),
                name="mail_destruction_taken_off_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destruction_list_id}: {self.item_id} {self.action}"
