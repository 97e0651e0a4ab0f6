"""The local administration: organisations, locations, departments and desks."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from onthaal.core.choices import Weekday
from onthaal.core.clock import BRUSSELS
from onthaal.organisation import palette, theme_cache

colour_validator = RegexValidator(
    palette.HEX.pattern, _("Enter a colour as # and six hexadecimal digits, e.g. #0b5394.")
)

# Where each checked pair of colours is on the pages (``palette.pairs``), for the error message.
PAIR_LABELS = {
    "buttons": _("white text on buttons and in the staff menu"),
    "links": _("links and secondary buttons on white"),
    "page": _("links on the page background"),
    "tint": _("marks on highlighted rows"),
    "header": _("white text in the header"),
    "menu": _("the current page in the staff menu"),
    "header-accent": _("the name in the header"),
    "screen-accent": _("headings on the waiting-room screen"),
}


class Organisation(models.Model):
    """A local administration (the municipality, the OCMW), with its house style: the pages
    show the theme of the first organisation that has one (municipality first), a kiosk and a
    waiting-room screen the one of their location's (``onthaal.organisation.theme``)."""

    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        OCMW = "ocmw", _("public centre for social welfare (OCMW)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The theme. Files are checked on their bytes and stored under their SHA-256
    # (onthaal.organisation.theme_files), by the admin's form and services.organisation_theme_set.
    logo = models.FileField(
        _("logo"),
        upload_to="theme/",
        blank=True,
        help_text=_(
            "PNG, SVG or WebP, at most 512 kB. Shown on a white background in the header, "
            "on the kiosk and on the waiting-room screen."
        ),
    )
    favicon = models.FileField(
        _("favicon"),
        upload_to="theme/",
        blank=True,
        help_text=_("The icon in the browser tab: PNG, SVG or ICO, at most 128 kB."),
    )
    primary_colour = models.CharField(
        _("primary colour"),
        max_length=7,
        blank=True,
        validators=[colour_validator],
        help_text=_(
            "Links, buttons and the staff menu, e.g. #0b5394; darker shades of it make the "
            "header and the waiting-room screen. White text on it needs a contrast of at "
            "least 4.5:1 (WCAG AA). Empty: Onthaal's blue."
        ),
    )
    accent_colour = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[colour_validator],
        help_text=_(
            "The name in the header, the headings of the waiting-room screen and a band under "
            "the header: a light colour, readable on the dark header (4.5:1). Empty: a light "
            "shade of the primary colour."
        ),
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        theme_cache.invalidate_after_commit()

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        deleted = super().delete(*args, **kwargs)
        theme_cache.invalidate_after_commit()
        return deleted

    def clean(self) -> None:
        """Refuse colours whose text would fail WCAG AA, on the field to change."""
        super().clean()
        colours = {"primary": self.primary_colour, "accent": self.accent_colour}
        if any(c and not palette.HEX.match(c) for c in colours.values()):
            return  # the field's own validator says so
        errors: dict[str, list[ValidationError]] = {}
        for problem in palette.problems(**colours):
            # An empty accent is derived from the primary: its failure is the primary's.
            field = f"{problem.field}_colour" if self.accent_colour else "primary_colour"
            if errors.get(field):
                continue  # one message per field: the worst pair is fixed first anyway
            errors[field] = [
                ValidationError(
                    _(
                        "Too little contrast: %(foreground)s on %(background)s (%(where)s) is "
                        "%(ratio)s:1; WCAG AA needs at least 4.5:1."
                    ),
                    code="contrast",
                    params={
                        "foreground": problem.foreground,
                        "background": problem.background,
                        "where": PAIR_LABELS.get(problem.where, problem.where),
                        # Rounded down: 4.497 is not shown as a failing "4.50".
                        "ratio": number_format(math.floor(problem.ratio * 100) / 100, 2),
                    },
                )
            ]
        if errors:
            raise ValidationError(errors)

    @property
    def has_theme(self) -> bool:
        return bool(self.logo or self.favicon or self.primary_colour or self.accent_colour)


class Location(models.Model):
    """A building where citizens are received (Administratief Centrum, Sociaal Huis)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("hours:location", kwargs={"slug": self.slug})

    @property
    def address(self) -> str:
        return ", ".join(p for p in [self.street, f"{self.postal_code} {self.city}".strip()] if p)


class Department(models.Model):
    """A department that serves citizens. Confidential departments (the OCMW social service)
    keep their data to their own members."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("Data of a confidential department is visible only to its own members."),
    )
    locations = models.ManyToManyField(
        Location, verbose_name=_("locations"), related_name="departments", blank=True
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="department_unique_name_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Desk(models.Model):
    class Kind(models.TextChoices):
        RECEPTION = "reception", _("reception")
        QUICK = "quick", _("quick counter")
        DESK = "desk", _("desk")
        PRIVATE_OFFICE = "private_office", _("private office")

    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="desks"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DESK)
    departments = models.ManyToManyField(
        Department, verbose_name=_("departments served"), related_name="desks", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("desk")
        verbose_name_plural = _("desks")
        ordering = ["location", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="desk_unique_name_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class DeskSchedule(models.Model):
    """The desk is staffed every ``weekday`` from ``start`` to ``end`` (local wall-clock time in
    Europe/Brussels) within an optional validity period.

    A desk without any schedule rows takes appointments whenever the appointment channel is
    open. A desk with rows takes them only in the windows of its rows that are valid on the day
    (so not at all on a day none is valid for). Opening hours and absences apply on top; see
    ``appointments.services.desk_resources``.
    """

    desk = models.ForeignKey(
        Desk, verbose_name=_("desk"), on_delete=models.CASCADE, related_name="schedule"
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start time"))
    end = models.TimeField(_("end time"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("desk schedule")
        verbose_name_plural = _("desk schedules")
        ordering = ["desk", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="desk_schedule_start_before_end",
                violation_error_message=_("The end time must be after the start time."),
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="desk_schedule_weekday"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="desk_schedule_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def valid_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )


class DeskAbsence(models.Model):
    """The desk takes no appointments from ``start`` to ``end`` (leave, training, repairs)."""

    desk = models.ForeignKey(
        Desk, verbose_name=_("desk"), on_delete=models.CASCADE, related_name="absences"
    )
    start = models.DateTimeField(_("absent from"))
    end = models.DateTimeField(_("absent until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("desk absence")
        verbose_name_plural = _("desk absences")
        ordering = ["desk", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")),
                name="desk_absence_start_before_end",
                violation_error_message=_("The absence must end after it starts."),
            ),
        ]
        indexes = [models.Index(fields=["desk", "start"], name="desk_absence_desk_start")]

    def __str__(self) -> str:
        start, end = self.start.astimezone(BRUSSELS), self.end.astimezone(BRUSSELS)
        return f"{self.desk}: {start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"
