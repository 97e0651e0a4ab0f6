"""Enumerations that several apps share. They sit here, below the apps, so that an app's
models need not import another app's models for them (no import circles between apps)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    """A day of the week as ``datetime.date.weekday()`` numbers it (Monday is 0)."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")
