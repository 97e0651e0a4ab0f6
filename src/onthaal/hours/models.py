"""Opening hours: weekly rules and day exceptions per location, department and channel."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onthaal.core.choices import Weekday
from onthaal.hours import compute


class HoursChannel(models.TextChoices):
    WALK_IN = compute.WALK_IN, _("walk-in")
    APPOINTMENT = compute.APPOINTMENT, _("by appointment")
    PHONE = compute.PHONE, _("by phone")


class OpeningRule(models.Model):
    """Open every ``weekday`` from ``opens`` to ``closes`` (local time) within a validity period.

    Without a department the rule holds for the whole location; a department's own rules for a
    channel replace the location's on the days they are valid (see ``hours.compute``).
    """

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        related_name="opening_rules",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="opening_rules",
        null=True,
        blank=True,
        help_text=_("Empty: the rule holds for the whole location."),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=HoursChannel.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening rule")
        verbose_name_plural = _("opening rules")
        ordering = ["location", "department", "channel", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="rule_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="rule_valid_period",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="rule_weekday"
            ),
            models.CheckConstraint(
                condition=Q(channel__in=HoursChannel.values), name="rule_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M} ({self.get_channel_display()})"

    def as_rule(self) -> compute.WeeklyRule:
        return compute.WeeklyRule(
            weekday=self.weekday,
            opens=self.opens,
            closes=self.closes,
            channel=self.channel,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            department_id=self.department_id,
        )

    def clean(self) -> None:
        from onthaal.hours.services import rule_errors

        errors = rule_errors(self)
        if errors:
            raise ValidationError(errors)


class OpeningException(models.Model):
    """A day that differs: closed (a local closure day, a bridge day) or special hours."""

    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        related_name="opening_exceptions",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="opening_exceptions",
        null=True,
        blank=True,
        help_text=_("Empty: the exception holds for the whole location."),
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=HoursChannel.choices,
        blank=True,
        help_text=_("Empty: all channels."),
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")
        ordering = ["location", "date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed=True, opens__isnull=True, closes__isnull=True)
                | Q(closed=False, opens__isnull=False, closes__gt=models.F("opens")),
                name="exception_closed_or_hours",
            ),
            models.CheckConstraint(
                condition=Q(channel="") | Q(channel__in=HoursChannel.values),
                name="exception_channel",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}"

    def as_exception(self) -> compute.DayException:
        return compute.DayException(
            day=self.date,
            reason=self.reason,
            closed=self.closed,
            opens=self.opens,
            closes=self.closes,
            channel=self.channel or None,
            department_id=self.department_id,
        )

    def clean(self) -> None:
        from onthaal.hours.services import exception_errors

        errors = exception_errors(self)
        if errors:
            raise ValidationError(errors)
