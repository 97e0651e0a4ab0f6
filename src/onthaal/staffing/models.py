"""Staff planning ("arbeidstijdenregeling, telewerk, verlof"): who works when, where and for
what; their absences and requests; and the roster that puts them at the desks.

A person's weekly pattern is twelve half days (Monday morning ... Saturday afternoon), one
character each (``1`` works, ``0`` not); ``pattern_b`` is the pattern of the B weeks of an
alternating regime (ISO week number odd = A, even = B; empty: every week is A). Times of
absences are instants (UTC); roster times are local wall-clock times (Europe/Brussels) on a day.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from onthaal.core.clock import BRUSSELS

HALF_DAYS = 12  # Monday to Saturday, morning and afternoon
PATTERN_REGEX = r"^[01]{12}$"
WEEKDAYS_REGEX = r"^[0-5]{0,6}$"


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TeleworkMode(models.TextChoices):
    FIXED = "fixed", _("fixed days")
    FLOATING = "floating", _("floating days")


class StaffProfile(models.Model):
    """A staff member's working time, skills, places and telework policy."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="staff_profiles",
    )
    percent = models.PositiveSmallIntegerField(_("working time (%)"), default=100)
    pattern_a = models.CharField(
        _("weekly pattern (A weeks)"),
        max_length=HALF_DAYS,
        default="111111111100",
        validators=[RegexValidator(PATTERN_REGEX)],
        help_text=_(
            "Twelve half days from Monday morning to Saturday afternoon: 1 works, 0 does not."
        ),
    )
    pattern_b = models.CharField(
        _("weekly pattern (B weeks)"),
        max_length=HALF_DAYS,
        blank=True,
        validators=[RegexValidator(PATTERN_REGEX)],
        help_text=_("Only for an alternating regime; empty: every week is an A week."),
    )
    evenings = models.BooleanField(_("works evening openings"), default=True)
    locations = models.ManyToManyField(
        "organisation.Location", verbose_name=_("locations"), related_name="+", blank=True
    )
    desks = models.ManyToManyField(
        "organisation.Desk",
        verbose_name=_("desks"),
        related_name="+",
        blank=True,
        help_text=_("Empty: every desk of their department at their locations."),
    )
    products = models.ManyToManyField(
        "catalogue.Product", verbose_name=_("trained for"), related_name="+", blank=True
    )
    telework_max_days = models.PositiveSmallIntegerField(
        _("telework: days a week at most"), default=0
    )
    telework_mode = models.CharField(
        _("telework days"),
        max_length=10,
        choices=TeleworkMode.choices,
        default=TeleworkMode.FLOATING,
    )
    telework_days = models.CharField(
        _("telework: fixed or wished days"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(WEEKDAYS_REGEX)],
        help_text=_("Weekday numbers, Monday is 0 (e.g. 13 for Tuesday and Thursday)."),
    )
    team_days = models.CharField(
        _("team days on site"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(WEEKDAYS_REGEX)],
        help_text=_("Weekday numbers on which everyone of the team is on site."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="staff_percent_range"
            ),
            models.CheckConstraint(
                condition=Q(telework_max_days__lte=5), name="staff_telework_max_range"
            ),
            models.CheckConstraint(
                condition=Q(pattern_a__regex=PATTERN_REGEX), name="staff_pattern_a_valid"
            ),
            models.CheckConstraint(
                condition=Q(pattern_b="") | Q(pattern_b__regex=PATTERN_REGEX),
                name="staff_pattern_b_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("leave")
    SICKNESS = "sickness", _("sickness")
    TRAINING = "training", _("training")
    TELEWORK = "telework", _("telework")
    OTHER = "other", _("other")


class Absence(models.Model):
    """Not at the front desks from ``start`` to ``end``: half a day, some hours or several days."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="absences",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AbsenceKind.choices)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered"))

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="staff_absence_start_before_end",
                violation_error_message=_("The absence must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=AbsenceKind.values), name="staff_absence_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "start"], name="staff_absence_user_start")]

    def __str__(self) -> str:
        start, end = self.start.astimezone(BRUSSELS), self.end.astimezone(BRUSSELS)
        return f"{self.get_kind_display()}: {start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"


class AffectedAppointment(models.Model):
    """An appointment that lost its person through an absence, and what was done about it:
    moved to a colleague, or the citizen asked to pick another time. One row per absence and
    appointment (unique): each is handled exactly once."""

    class Outcome(models.TextChoices):
        MOVED = "moved", _("moved to a colleague")
        NOTIFIED = "notified", _("citizen asked to pick another time")

    absence = models.ForeignKey(
        Absence, verbose_name=_("absence"), on_delete=models.CASCADE, related_name="affected"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        verbose_name=_("appointment"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    from_desk = models.ForeignKey(
        "organisation.Desk",
        verbose_name=_("from desk"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("handled"))

    class Meta:
        verbose_name = _("affected appointment")
        verbose_name_plural = _("affected appointments")
        constraints = [
            models.UniqueConstraint(fields=["absence", "appointment"], name="staff_affected_once"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.outcome}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")


class StaffRequest(models.Model):
    """A telework or leave request that a team lead approves or refuses. Approving it
    registers the absence; the coverage impact is shown (and, for a gap, confirmed) first."""

    class Kind(models.TextChoices):
        TELEWORK = "telework", _("telework")
        LEAVE = "leave", _("leave")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="staff_requests",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start = models.DateTimeField(_("from"))
    end = models.DateTimeField(_("until"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Approved although it opened a gap (the lead saw the warning and confirmed), or refused
    # because of one: the figures count both.
    gap = models.BooleanField(_("opens a gap"), default=False)
    absence = models.OneToOneField(
        Absence,
        verbose_name=_("absence"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
    )
    created_at = models.DateTimeField(_("requested"))

    class Meta:
        verbose_name = _("telework or leave request")
        verbose_name_plural = _("telework and leave requests")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="staff_request_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="staff_request_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RequestStatus.APPROVED) | Q(absence__isnull=False),
                name="staff_request_approved_has_absence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user} {self.start:%Y-%m-%d}"


class Roster(models.Model):
    """The roster of one department at a location for one week (Monday ``week``), a draft
    until published; each department's team lead proposes and publishes their own. It holds
    the front shifts at the department's desks and the other shifts of its own people. Only a
    published roster drives appointment availability, of the desks of its department
    (ADR 0013)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        related_name="rosters",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="rosters",
    )
    week = models.DateField(_("week (Monday)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    unmet = models.JSONField(_("unmet constraints"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-week", "location", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "week", "department"], name="roster_one_per_department_week"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="roster_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location} {self.department} {self.week:%G-W%V}"


class Place(models.TextChoices):
    DESK = "desk", _("desk")
    QUICK = "quick", _("quick counter")
    RECEPTION = "reception", _("reception")
    BACK_OFFICE = "back_office", _("back office")
    TELEWORK = "telework", _("telework")


FRONT_PLACES = (Place.DESK, Place.QUICK, Place.RECEPTION)


class RosterAssignment(models.Model):
    """``user`` works on ``day`` from ``start`` to ``end`` (local times) at ``place``; at a
    front place, at ``desk``."""

    roster = models.ForeignKey(
        Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="assignments"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="roster_assignments",
    )
    day = models.DateField(_("day"))
    start = models.TimeField(_("start time"))
    end = models.TimeField(_("end time"))
    place = models.CharField(_("where"), max_length=12, choices=Place.choices)
    desk = models.ForeignKey(
        "organisation.Desk",
        verbose_name=_("desk"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("roster assignment")
        verbose_name_plural = _("roster assignments")
        ordering = ["day", "start", "user"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="roster_assignment_start_before_end",
                violation_error_message=_("The end time must be after the start time."),
            ),
            models.CheckConstraint(
                condition=Q(place__in=Place.values), name="roster_assignment_place_valid"
            ),
            models.CheckConstraint(
                condition=~Q(place__in=["desk", "quick", "reception"]) | Q(desk__isnull=False),
                name="roster_assignment_front_has_desk",
            ),
        ]
        indexes = [models.Index(fields=["roster", "day"], name="roster_assignment_day")]

    def __str__(self) -> str:
        return f"{self.user} {self.day} {self.start:%H:%M}-{self.end:%H:%M} {self.place}"


class FeedToken(models.Model):
    """The private iCal feed of a person's roster: the link carries a token; only its SHA-256
    is kept."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="roster_feed",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("roster feed")
        verbose_name_plural = _("roster feeds")

    def __str__(self) -> str:
        return str(self.user)
