"""The local administration: organisations, locations, departments and desks."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("municipality")
        OCMW = "ocmw", _("public centre for social welfare (OCMW)")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
