"""Devices of a location (kiosk, waiting-room screen, ticket printer): their own identity.

A device is not a user: it has no roles, no session and no staff page. An administrator
registers it (the admin, or ``onthaal device create``) and gets a one-time enrolment code;
opening the enrolment link on the device sets its device cookie. Only SHA-256 hashes of the
code and of the cookie's key are kept (as for API tokens). A revoked device stays, for the
record, and its cookie no longer opens anything.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    KIOSK = "kiosk", _("kiosk")
    SCREEN = "screen", _("waiting-room screen")
    PRINTER = "printer", _("ticket printer")


# The kinds that issue tickets (and check in appointments): a ticket printer is a kiosk
# without a reference field of its own, it uses the same pages.
ISSUING_KINDS = frozenset({Kind.KIOSK, Kind.PRINTER})


class Device(models.Model):
    """A kiosk, screen or ticket printer at one location."""

    name = models.SlugField(
        _("name"), max_length=50, unique=True, help_text=_("For example kiosk-ac-1.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="devices",
    )
    created_at = models.DateTimeField(_("registered at"), editable=False)
    # The one-time enrolment code: its hash until it is used or replaced, and until when.
    # NULL when there is none (hashes are unique among the devices that have one).
    enrolment_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, unique=True, editable=False
    )
    enrolment_expires_at = models.DateTimeField(
        _("enrolment code valid until"), null=True, blank=True, editable=False
    )
    # The device cookie's key: its hash, set by the enrolment.
    key_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, unique=True, editable=False
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["location", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="device_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.location})"

    @property
    def actor(self) -> str:
        """The device as the actor of an audit event: ``device:<name>``."""
        return f"device:{self.name}"

    @property
    def issues_tickets(self) -> bool:
        return self.kind in ISSUING_KINDS
