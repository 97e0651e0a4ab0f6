"""Customer guidance: queues, tickets (one visit each), desks at work and hand-off notes.

A ticket never carries a citizen's name: screens, tickets and the status page show its number.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onthaal.queue import routing


class Queue(models.Model):
    """A waiting line at a location, for one department's products (e.g. "B — Burgerzaken")."""

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="queues",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="queues",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"),
        max_length=2,
        help_text=_("One or two capital letters in front of the ticket number, e.g. B."),
    )
    products = models.ManyToManyField(
        "catalogue.Product", verbose_name=_("products"), related_name="queues", blank=True
    )
    desks = models.ManyToManyField(
        "organisation.Desk", verbose_name=_("desks"), related_name="queues", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["location", "prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "prefix"], name="queue_unique_prefix_per_location"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} — {self.name}"


class TicketCounter(models.Model):
    """The last number issued at a location on a service day (local date).

    Incremented with an UPDATE inside the issuing transaction: the row lock serialises concurrent
    issuers, so no two tickets get the same number and none is skipped by a rollback.
    """

    location = models.ForeignKey("organisation.Location", on_delete=models.CASCADE)
    service_day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["location", "service_day"], name="ticketcounter_unique_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.location_id} {self.service_day}: {self.last_number}"


class Source(models.TextChoices):
    KIOSK = "kiosk", _("kiosk (walk-in)")
    RECEPTION = "reception", _("reception")
    APPOINTMENT = "appointment", _("appointment check-in")
    QUICK_COUNTER = "quick_counter", _("quick counter")
    API = "api", _("integration")


class Status(models.TextChoices):
    WAITING = "waiting", _("waiting")
    CALLED = "called", _("called")
    SERVING = "serving", _("in service")
    DONE = "done", _("served")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATUSES = (Status.WAITING, Status.CALLED, Status.SERVING)
CLOSED_STATUSES = (Status.DONE, Status.NO_SHOW, Status.CANCELLED)

# The state machine: action -> (statuses it may start from, status it leads to).
# Services apply a transition with a conditional UPDATE (WHERE status IN from), so two
# concurrent requests can never both apply it.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "call": ((Status.WAITING,), Status.CALLED),
    "recall": ((Status.CALLED,), Status.CALLED),
    "start": ((Status.CALLED,), Status.SERVING),
    "finish": ((Status.SERVING, Status.CALLED), Status.DONE),
    "no_show": ((Status.CALLED,), Status.NO_SHOW),
    "transfer": ((Status.WAITING, Status.CALLED, Status.SERVING), Status.WAITING),
    "cancel": ((Status.WAITING, Status.CALLED), Status.CANCELLED),
}


# A ticket whose citizen asked for a turn alert that has not gone out yet.
ALERT_DUE = Q(alert_sent_at__isnull=True) & (~Q(alert_email="") | ~Q(alert_phone=""))


def contact_forgotten() -> dict[str, str]:
    """The field values that forget a ticket's alert contact: applied by every transition
    that closes a ticket (``services.shared.apply``)."""
    return {"alert_email": "", "alert_phone": "", "alert_language": ""}


def _public_id() -> str:
    return secrets.token_urlsafe(12)


class Ticket(models.Model):
    """One visit at a location: from issue (or check-in) to served, no-show or cancelled."""

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    queue = models.ForeignKey(
        Queue, verbose_name=_("queue"), on_delete=models.PROTECT, related_name="tickets"
    )
    service_day = models.DateField(_("service day"))
    number = models.PositiveIntegerField(_("number"))
    code = models.CharField(_("ticket number"), max_length=8)
    public_id = models.CharField(max_length=32, unique=True, default=_public_id, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.WAITING
    )
    priority = models.BooleanField(_("priority"), default=False)
    appointment_at = models.DateTimeField(_("appointment time"), null=True, blank=True)
    products = models.ManyToManyField(
        "catalogue.Product",
        verbose_name=_("products asked for"),
        related_name="+",
        blank=True,
    )
    # A transfer to a named person or desk: only they may call the ticket.
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_desk = models.ForeignKey(
        "organisation.Desk",
        verbose_name=_("for desk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    desk = models.ForeignKey(
        "organisation.Desk",
        verbose_name=_("desk"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    served_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"))
    waiting_since = models.DateTimeField(_("waiting since"))
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recalled"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("recalls"), default=0)
    started_at = models.DateTimeField(_("service started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # "Warn me when it is almost my turn" (onthaal.queue.alerts). Fields on the ticket rather
    # than a model of their own: a ticket has at most one such wish, its life ends with the
    # ticket's, and closing a ticket forgets the contact in the very UPDATE that closes it
    # (``contact_forgotten``) — no extra query on the desks' path. Never shown on a screen,
    # the status page or in an event.
    alert_email = models.EmailField(_("e-mail for the turn alert"), blank=True)
    alert_phone = models.CharField(_("mobile number for the turn alert"), max_length=30, blank=True)
    alert_language = models.CharField(_("language of the turn alert"), max_length=10, blank=True)
    alert_sent_at = models.DateTimeField(_("turn alert queued"), null=True, blank=True)
    # The kiosk's key of the submission that issued the ticket (a form sent again after a lost
    # answer gives the same ticket, not a second one: ``services.issue_ticket``). Empty for
    # tickets issued otherwise.
    submission_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "service_day", "number"],
                name="ticket_unique_number_per_location_day",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="ticket_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=Source.values), name="ticket_source_valid"
            ),
            # A called or served ticket has a desk and a call time; a finished one an end time.
            models.CheckConstraint(
                condition=Q(status__in=[Status.WAITING, Status.CANCELLED])
                | Q(status=Status.NO_SHOW, desk__isnull=False, called_at__isnull=False)
                | Q(
                    status__in=[Status.CALLED, Status.SERVING, Status.DONE],
                    desk__isnull=False,
                    called_at__isnull=False,
                ),
                name="ticket_called_has_desk",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CLOSED_STATUSES) | Q(finished_at__isnull=False),
                name="ticket_closed_has_end",
            ),
            # One ticket per kiosk submission, however often the form is sent.
            models.UniqueConstraint(
                fields=["location", "submission_key"],
                condition=~Q(submission_key=""),
                name="ticket_unique_submission",
            ),
            # A desk serves one visitor at a time (services.call_next).
            models.UniqueConstraint(
                fields=["desk"],
                condition=Q(status__in=[Status.CALLED, Status.SERVING]),
                name="ticket_one_open_per_desk",
            ),
        ]
        indexes = [
            models.Index(fields=["location", "status", "service_day"], name="ticket_open_idx"),
            models.Index(fields=["desk", "status"], name="ticket_desk_status_idx"),
            # The head of a queue: call-next reads the longest-waiting tickets first.
            models.Index(fields=["queue", "status", "waiting_since"], name="ticket_queue_wait_idx"),
            # ... and for the unassigned ones, in call-next's order, so that reading the head
            # is an index range of k rows however long the queue (services.head_candidates).
            models.Index(
                fields=["queue", "priority", "waiting_since", "id"],
                condition=Q(
                    status="waiting", assigned_user__isnull=True, assigned_desk__isnull=True
                ),
                name="ticket_head_idx",
            ),
            # The waiting appointments and hand-offs, which call-next also looks at: few rows.
            models.Index(
                fields=["location", "appointment_at"],
                condition=Q(status="waiting", appointment_at__isnull=False),
                name="ticket_waiting_appt_idx",
            ),
            models.Index(
                fields=["location", "assigned_desk", "assigned_user"],
                condition=Q(status="waiting")
                & (Q(assigned_desk__isnull=False) | Q(assigned_user__isnull=False)),
                name="ticket_handoff_idx",
            ),
            # The worker's poll for turn alerts (onthaal.queue.alerts): only the few tickets
            # whose citizen asked for one are in it.
            models.Index(
                fields=["service_day", "status"],
                condition=ALERT_DUE,
                name="ticket_alert_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def as_candidate(self, product_ids: frozenset[int] = frozenset()) -> routing.Candidate:
        return routing.Candidate(
            id=self.pk,
            queue_id=self.queue_id,
            product_ids=product_ids,
            issued_at=self.waiting_since,
            priority=self.priority,
            appointment_at=self.appointment_at,
            assigned_user_id=self.assigned_user_id,
            assigned_desk_id=self.assigned_desk_id,
        )

    @property
    def wants_alert(self) -> bool:
        return bool(self.alert_email or self.alert_phone)

    @property
    def wait_seconds(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds()

    @property
    def service_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class DeliveredProduct(models.Model):
    """What a desk recorded as delivered (2 identity cards) — the facts the figures count."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="delivered", verbose_name=_("ticket")
    )
    product = models.ForeignKey(
        "catalogue.Product",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("delivered product")
        verbose_name_plural = _("delivered products")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "product"], name="delivered_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="delivered_quantity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"


class HandoffNote(models.Model):
    """A short note that goes with a transfer; only the receiving department may read it."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="notes", verbose_name=_("ticket")
    )
    department = models.ForeignKey(
        "organisation.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("receiving department"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.CharField(_("note"), max_length=500)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("hand-off note")
        verbose_name_plural = _("hand-off notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.ticket} → {self.department}"


class DeskSession(models.Model):
    """Who works at a desk now, and whether the desk is open or paused."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        PAUSED = "paused", _("paused")
        CLOSED = "closed", _("closed")

    desk = models.OneToOneField(
        "organisation.Desk", on_delete=models.CASCADE, related_name="session"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLOSED)
    since = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["open", "paused", "closed"]), name="desksession_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.desk_id}: {self.state}"


class Announcement(models.Model):
    """A line the waiting-room screens of a location rotate through, set by a team lead
    ("Vandaag geen rijbewijzen na 11 uur"). Public: never a name."""

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        related_name="announcements",
    )
    text = models.CharField(_("text"), max_length=200)
    until = models.DateField(_("shown until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["location", "pk"]

    def __str__(self) -> str:
        return self.text


class KeptLiveEvent(models.Model):
    """A live event that its app process could not publish (its broker was unreachable), kept
    for the worker to publish: a call must still reach the screens connected to other app
    processes. See ``onthaal.queue.broker.relay_kept``."""

    location_id = models.BigIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.location_id}: {self.payload.get('type', '')}"
