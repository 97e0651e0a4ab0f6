"""Appointments ("werken op afspraak"): a booked time at a desk for one or more products.

The database guarantees that a desk never holds two overlapping active appointments: on
PostgreSQL an exclusion constraint (migration 0002); on SQLite the booking transaction is
IMMEDIATE (one writer) and checks for an overlap before it inserts.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BookingPolicy(models.Model):
    """A department's booking rules. Without one, the defaults hold."""

    department = models.OneToOneField(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="booking_policy",
    )
    grid_minutes = models.PositiveSmallIntegerField(_("slot grid (minutes)"), default=10)
    buffer_minutes = models.PositiveSmallIntegerField(_("buffer after (minutes)"), default=0)
    lead_hours = models.PositiveSmallIntegerField(_("lead time (hours)"), default=2)
    horizon_weeks = models.PositiveSmallIntegerField(_("horizon (weeks)"), default=8)
    max_future_per_contact = models.PositiveSmallIntegerField(
        _("future appointments per contact"), default=3
    )
    hold_minutes = models.PositiveSmallIntegerField(_("hold (minutes)"), default=10)
    no_show_limit = models.PositiveSmallIntegerField(
        _("no-shows before online booking is refused"),
        default=3,
        help_text=_("After this many no-shows in the period, the citizen is asked to call."),
    )
    no_show_months = models.PositiveSmallIntegerField(_("no-show period (months)"), default=6)
    # Short appointments (a pick-up of a card or passport: what citizens ask for most) can be
    # booked the same day, on a finer grid and a shorter lead time.
    short_max_minutes = models.PositiveSmallIntegerField(
        _("short appointments: up to (minutes)"),
        default=0,
        help_text=_(
            "Appointments this short or shorter can be booked the same day, with the grid and "
            "lead time below. 0: no short appointments."
        ),
    )
    short_grid_minutes = models.PositiveSmallIntegerField(
        _("short appointments: grid (minutes)"), default=5
    )
    short_lead_minutes = models.PositiveSmallIntegerField(
        _("short appointments: lead time (minutes)"), default=30
    )

    class Meta:
        verbose_name = _("booking policy")
        verbose_name_plural = _("booking policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(grid_minutes__gte=5, grid_minutes__lte=120), name="policy_grid_range"
            ),
            models.CheckConstraint(
                condition=Q(short_grid_minutes__gte=5, short_grid_minutes__lte=120),
                name="policy_short_grid_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.department)


class Status(models.TextChoices):
    HELD = "held", _("held")
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    CALLED = "called", _("called")
    IN_SERVICE = "in_service", _("in service")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("no-show")


ACTIVE_STATUSES = (
    Status.HELD,
    Status.BOOKED,
    Status.CHECKED_IN,
    Status.CALLED,
    Status.IN_SERVICE,
)

# The lifecycle until the visit: action -> (statuses it may start from, status it leads to).
# The services apply these with a conditional UPDATE.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "confirm": ((Status.HELD,), Status.BOOKED),
    "check_in": ((Status.BOOKED,), Status.CHECKED_IN),
    "cancel": ((Status.HELD, Status.BOOKED), Status.CANCELLED),
    "reschedule": ((Status.BOOKED,), Status.BOOKED),  # a new time, the same appointment
    "no_show": ((Status.BOOKED,), Status.NO_SHOW),
}

# From check-in on, the visit is its ticket (``queue.Ticket``): the appointment follows the
# ticket's status in the statement that changes the ticket, whichever path changes it (the
# desk's one-round-trip statements, the ORM, the end of the day, the admin). A database
# trigger does it (``visit_trigger``, ADR 0012): ticket status -> appointment status. Only an
# appointment that is still at the visit (``VISIT_STATUSES``) follows; a closed one stays.
FOLLOWS_TICKET: dict[str, str] = {
    "waiting": Status.CHECKED_IN,  # checked in, or handed over to another queue
    "called": Status.CALLED,
    "serving": Status.IN_SERVICE,
    "done": Status.DONE,
    "no_show": Status.NO_SHOW,
    "cancelled": Status.CANCELLED,  # left before being served, or closed at end of day
}
VISIT_STATUSES = (Status.CHECKED_IN, Status.CALLED, Status.IN_SERVICE)


class BookingChannel(models.TextChoices):
    ONLINE = "online", _("online")
    PHONE = "phone", _("by phone")
    DESK = "desk", _("at the desk")


# Channels through which staff book for a caller: the contact channel is optional there.
STAFF_CHANNELS = (BookingChannel.PHONE, BookingChannel.DESK)


class Appointment(models.Model):
    reference = models.CharField(_("reference"), max_length=12, unique=True, default=new_reference)
    token_hash = models.CharField(max_length=64, editable=False)
    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    desk = models.ForeignKey(
        "organisation.Desk",
        verbose_name=_("desk"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.BOOKED
    )
    persons = models.PositiveSmallIntegerField(_("persons"), default=1)
    channel = models.CharField(
        _("booked"), max_length=10, choices=BookingChannel.choices, default=BookingChannel.ONLINE
    )
    # Personal data, the least needed: a name and one contact channel. Anonymised by the
    # retention job; the anonymous facts stay for the figures.
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # Who holds it (services.client_key: a keyed hash of the address, never the address), to
    # limit the holds of one client; emptied when the hold is confirmed.
    hold_client = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    override_reason = models.CharField(_("reason for the exception"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"))
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True)
    # A keyed hash of the normalised contact (``contact.contact_key``), never the contact:
    # what the no-show rule counts by, so that it still works once the contact is anonymised.
    # Kept after anonymisation for a no-show only, and only for its department's no-show
    # period (``retention.anonymise_expired``).
    contact_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    # When the citizen agreed to receive one question about the visit by e-mail after it
    # (the satisfaction survey, ``reporting.survey``); empty: not agreed, no invitation. Cleared
    # with the contact by the retention job. Nullable without a default: on SQLite the column
    # is added in place, which keeps the ADR 0012 trigger on this table.
    survey_opt_in_at = models.DateTimeField(_("agreed to the survey"), null=True, blank=True)
    # The iCalendar SEQUENCE of the event (UID: the reference): raised by every move and by
    # the cancellation, so a calendar replaces its entry instead of adding one.
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    ticket = models.OneToOneField(
        "queue.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="appt_end_after_start"
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="appt_status_valid"),
            models.CheckConstraint(
                condition=Q(persons__gte=1, persons__lte=6), name="appt_persons_range"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.HELD) | Q(hold_expires_at__isnull=False),
                name="appt_hold_expires",
            ),
            # A name, and a contact channel unless staff booked it for a caller (phone, desk)
            # who has none: then the reference is read out to them.
            models.CheckConstraint(
                condition=Q(status=Status.HELD)
                | Q(anonymised_at__isnull=False)
                | ~Q(name="") & (~Q(email="") | ~Q(phone="") | Q(channel__in=STAFF_CHANNELS)),
                name="appt_contact_when_booked",
            ),
        ]
        indexes = [
            models.Index(fields=["desk", "start"], name="appt_desk_start_idx"),
            models.Index(fields=["location", "department", "start"], name="appt_dept_start_idx"),
            models.Index(
                fields=["department", "contact_key", "start"],
                condition=Q(status=Status.NO_SHOW),
                name="appt_no_show_key_idx",
            ),
            models.Index(
                fields=["hold_client", "hold_expires_at"],
                condition=Q(status=Status.HELD),
                name="appt_hold_client_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def token_matches(self, token: str) -> bool:
        return bool(token) and secrets.compare_digest(self.token_hash, hash_token(token))


class AppointmentProduct(models.Model):
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="items", verbose_name=_("appointment")
    )
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("product of an appointment")
        verbose_name_plural = _("products of an appointment")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "product"], name="appt_product_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product}"


class Notification(models.Model):
    """The outbox: a message to send, drained by the worker (``notify.send_due``)."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("confirmation")
        REMINDER = "reminder", _("reminder")
        CHANGE = "change", _("change")
        CANCELLATION = "cancellation", _("cancellation")
        TURN = "turn", _("your turn is coming")
        # The appointment lost its person (sickness) and no colleague was free: pick a time.
        REBOOK = "rebook", _("pick another time")
        # After the visit, the satisfaction survey's link, to a citizen who agreed to it.
        SURVEY = "survey", _("survey invitation")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    # A message is about an appointment or, for "your turn is coming", about a ticket.
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("appointment"),
        null=True,
        blank=True,
    )
    ticket = models.ForeignKey(
        "queue.Ticket",
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, default="email")
    recipient = models.CharField(_("recipient"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    ics = models.TextField(blank=True)
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
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["next_attempt_at", "pk"]
        constraints = [
            # A reminder is created once per appointment, however often the job runs.
            models.UniqueConstraint(
                fields=["appointment", "kind"],
                condition=Q(kind="reminder"),
                name="notification_one_reminder",
            ),
            # One survey invitation per appointment, however many workers run.
            models.UniqueConstraint(
                fields=["appointment", "kind"],
                condition=Q(kind="survey"),
                name="notification_one_survey",
            ),
            # A ticket gets one "your turn is coming" per channel, however many workers run.
            models.UniqueConstraint(
                fields=["ticket", "kind", "channel"],
                condition=Q(kind="turn"),
                name="notification_one_turn_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(appointment__isnull=False, ticket__isnull=True)
                | Q(appointment__isnull=True, ticket__isnull=False),
                name="notification_appointment_xor_ticket",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx")]

    def __str__(self) -> str:
        about = self.appointment_id if self.ticket_id is None else f"ticket {self.ticket_id}"
        return f"{self.kind} {about}"
