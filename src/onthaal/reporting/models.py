"""Anonymous visit facts, their hourly rollups, and the refresh's bookkeeping.

A ``Visit`` holds no name, no contact and no foreign key to the ticket or appointment it was
made from (only their ids, as numbers): a retention run that anonymises or removes those never
touches the figures. ``HourlyRollup`` rows are sums of facts, kept up to date by the same
worker step that writes the facts (``services.refresh_facts``); a property test holds them
equal to a count over the facts.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from onthaal.reporting import facts, histogram


class Channel(models.TextChoices):
    WALK_IN = facts.WALK_IN, _("walk-in")
    APPOINTMENT = facts.APPOINTMENT, _("appointment")
    QUICK_COUNTER = facts.QUICK_COUNTER, _("quick counter")
    ELOKET = facts.ELOKET, _("digital counter")
    PHONE = facts.PHONE, _("phone")
    EMAIL = facts.EMAIL, _("e-mail")


class Outcome(models.TextChoices):
    SERVED = facts.SERVED, _("served")
    NO_SHOW = facts.NO_SHOW, _("no-show")
    CANCELLED = facts.CANCELLED, _("cancelled")
    TRANSFERRED = facts.TRANSFERRED, _("transferred")


class Origin(models.TextChoices):
    TICKET = facts.TICKET, _("ticket")
    APPOINTMENT = facts.APPOINTMENT_ORIGIN, _("appointment")
    ELOKET = "eloket", _("digital counter request")
    PHONE = "phone", _("phone call")
    EMAIL = "email", _("e-mail")
    DEMO = "demo", _("demo history")


class Visit(models.Model):
    """One visit (or contact): where, for what, when, how long, how it ended. Nothing personal."""

    origin = models.CharField(_("made from"), max_length=20, choices=Origin.choices)
    origin_id = models.BigIntegerField(_("id of the original"))
    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    queue_id = models.BigIntegerField(_("queue"), null=True, blank=True)
    product_id = models.BigIntegerField(_("main product"), default=0)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=20, blank=True)
    service_day = models.DateField(_("service day"))
    weekday = models.PositiveSmallIntegerField(_("weekday"))
    hour = models.PositiveSmallIntegerField(_("hour"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    wait_seconds = models.PositiveIntegerField(_("waiting seconds"), null=True, blank=True)
    service_seconds = models.PositiveIntegerField(_("service seconds"), null=True, blank=True)
    persons = models.PositiveSmallIntegerField(_("persons"), default=1)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    items = models.PositiveIntegerField(_("items delivered"), default=0)
    booked_minutes = models.PositiveIntegerField(_("booked minutes"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.UniqueConstraint(fields=["origin", "origin_id"], name="visit_unique_origin"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="visit_hour_range"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="visit_weekday_range"),
            models.CheckConstraint(condition=Q(outcome__in=Outcome.values), name="visit_outcome"),
        ]
        indexes = [
            models.Index(fields=["service_day", "location", "department"], name="visit_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} {self.origin_id} {self.service_day}"


class VisitProduct(models.Model):
    """A product of a visit with its quantity (delivered; or asked for when not served)."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="products")
    product_id = models.BigIntegerField(_("product"))
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)

    class Meta:
        verbose_name = _("product of a visit")
        verbose_name_plural = _("products of a visit")
        constraints = [
            models.UniqueConstraint(fields=["visit", "product_id"], name="visitproduct_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id}"


# The measures a rollup row sums; each is a sum over the facts of its key (see the property
# test, ``tests/test_rollups_property.py``, for the count it must equal).
MEASURES = (
    "visits",
    "served",
    "no_shows",
    "cancelled",
    "transferred",
    "persons",
    "items",
    "wait_count",
    "wait_sum",
    "service_count",
    "service_sum",
    "booked_minutes",
)
# (``booked_minutes``: of the visits not cancelled — a cancelled booking freed its time.)
# Everything a rollup row adds up: the sums and the histograms of waiting and service seconds
# (``histogram.py``: one column per bucket, ``wait_h00`` ... ``service_h29``).
COUNTED = (*MEASURES, *histogram.ALL_FIELDS)


class Rollup(models.Model):
    """The sums and histograms a rollup row keeps; the key is the concrete model's.

    Ids are plain numbers (0 for "no product", "no queue"), so the key has no NULL and the
    unique constraint holds on every database."""

    service_day = models.DateField()
    weekday = models.PositiveSmallIntegerField()
    location_id = models.BigIntegerField()
    department_id = models.BigIntegerField()
    product_id = models.BigIntegerField(default=0)
    channel = models.CharField(max_length=20)
    visits = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    transferred = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    wait_count = models.PositiveIntegerField(default=0)
    wait_sum = models.BigIntegerField(default=0)
    service_count = models.PositiveIntegerField(default=0)
    service_sum = models.BigIntegerField(default=0)
    booked_minutes = models.BigIntegerField(default=0)

    KEY: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True


for _name in histogram.ALL_FIELDS:
    Rollup.add_to_class(_name, models.PositiveIntegerField(default=0))


class HourlyRollup(Rollup):
    """Sums of the visits of one local hour x location x department x main product x channel:
    the heat map, the advice, and the visits API by hour."""

    hour = models.PositiveSmallIntegerField()

    KEY = ("service_day", "hour", "location_id", "department_id", "product_id", "channel")

    class Meta:
        verbose_name = _("hourly rollup")
        verbose_name_plural = _("hourly rollups")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "service_day",
                    "hour",
                    "location_id",
                    "department_id",
                    "product_id",
                    "channel",
                ],
                name="rollup_unique_key",
            )
        ]
        indexes = [
            # The heat map and the advice read a period's visits and service times per weekday
            # and hour: on PostgreSQL an index-only scan of this narrow index instead of the
            # wide rows (histograms); elsewhere a plain index on the day.
            models.Index(
                fields=["service_day"],
                include=[
                    "department_id",
                    "location_id",
                    "product_id",
                    "channel",
                    "weekday",
                    "hour",
                    "visits",
                    "service_sum",
                    "service_count",
                ],
                name="rollup_hour_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_day} {self.hour}h {self.channel}: {self.visits}"


class DailyRollup(Rollup):
    """Sums of the visits of one service day x location x department x queue x main product x
    channel: every figure that needs no hour (about a ninth of the hourly rows), and the
    waiting times and service levels per queue."""

    queue_id = models.BigIntegerField(default=0)

    KEY = ("service_day", "location_id", "department_id", "queue_id", "product_id", "channel")

    class Meta:
        verbose_name = _("daily rollup")
        verbose_name_plural = _("daily rollups")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "service_day",
                    "location_id",
                    "department_id",
                    "queue_id",
                    "product_id",
                    "channel",
                ],
                name="daily_rollup_unique_key",
            )
        ]
        indexes = [
            # The visitors per day, week or month (this period and last year's) and the channel
            # mix read a period's visits per day: on PostgreSQL an index-only scan of this
            # narrow index instead of the wide rows (EXPLAIN ANALYZE over a quarter of 200,000
            # visits: 7.9 ms -> 1.3 ms per day, 10.5 -> 4.1 ms per day and channel; medians of
            # 25); elsewhere a plain index on the day.
            models.Index(
                fields=["service_day"],
                include=["department_id", "location_id", "product_id", "channel", "visits"],
                name="daily_rollup_cover",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_day} {self.channel}: {self.visits}"


class RefreshState(models.Model):
    """Where the refresh of the facts stands: below these ids every ticket and appointment is
    either recorded or was open when it was last looked at (one row, locked by each refresh so
    that two workers never record the same visit twice)."""

    ticket_floor = models.BigIntegerField(default=0)
    appointment_floor = models.BigIntegerField(default=0)
    eloket_floor = models.BigIntegerField(default=0)
    mail_floor = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    # A new value with every change of the rollups, in the transaction that changes them: what
    # the dashboard's cached figures are keyed by (``reporting.cached``). A random value, not a
    # counter, so that a database loaded or restored afresh never meets an old cache entry.
    rollups_version = models.UUIDField(default=uuid.uuid4)

    def __str__(self) -> str:
        return f"tickets from {self.ticket_floor}, appointments from {self.appointment_floor}"


class QueueTarget(models.Model):
    """The service level a team lead sets for a queue: ``share`` of visitors called within
    ``wait_seconds``."""

    queue = models.OneToOneField(
        "queue.Queue", verbose_name=_("queue"), on_delete=models.CASCADE, related_name="+"
    )
    wait_seconds = models.PositiveIntegerField(_("target wait (seconds)"), default=900)
    share = models.DecimalField(
        _("share within target"), max_digits=4, decimal_places=3, default=0.8
    )

    class Meta:
        verbose_name = _("service level target")
        verbose_name_plural = _("service level targets")
        constraints = [
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="target_share"),
            models.CheckConstraint(condition=Q(wait_seconds__gte=1), name="target_wait_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.queue_id}: {self.share} within {self.wait_seconds}s"


class SurveyAnswer(models.Model):
    """One anonymous answer to the satisfaction survey ("how was your visit?").

    Only what the figures need: where, which department, which service day and channel, the
    score and the optional comment. No ticket or appointment, no time of day, nothing that
    leads back to a person; the one-answer-per-visit check lives in ``SurveyReceipt``, which
    does not point here."""

    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    location = models.ForeignKey(
        "organisation.Location",
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    service_day = models.DateField(_("service day"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True, max_length=500)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="survey_score"),
        ]
        indexes = [
            models.Index(fields=["service_day", "department"], name="survey_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.service_day} {self.department_id}: {self.score}"


class SurveyReceipt(models.Model):
    """That a visit has answered: a keyed hash of the visit (HMAC with the install's secret
    key), its primary key, so a second answer fails on the database's unique index. It has
    no sequence number and no link to the answer it came with."""

    digest = models.CharField(max_length=64, primary_key=True)

    class Meta:
        verbose_name = _("survey receipt")
        verbose_name_plural = _("survey receipts")

    def __str__(self) -> str:
        return self.digest[:12]
