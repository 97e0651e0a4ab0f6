"""The product catalogue: what citizens come for, on which channels, for how long."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# A quick-counter product (snelbalie) is served within this many minutes unless its own
# target says otherwise. At most 20: the figures read the share within target from the
# service-time histograms, exact at every whole minute up to 20 (``reporting.histogram``).
QUICK_TARGET_MINUTES = 5
QUICK_TARGET_MAX = 20


class Channel(models.TextChoices):
    APPOINTMENT = "appointment", _("appointment")
    WALK_IN = "walk_in", _("walk-in")
    QUICK_COUNTER = "quick_counter", _("quick counter")
    ELOKET = "eloket", _("digital counter")
    PHONE = "phone", _("phone")


class Product(models.Model):
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="products",
    )
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    ipdc_concept_id = models.CharField(
        _("IPDC concept id"),
        max_length=100,
        blank=True,
        help_text=_("Identifier of the product in the Flemish IPDC catalogue, if known."),
    )
    required_documents = models.TextField(
        _("required documents"), blank=True, help_text=_("One document per line.")
    )
    price_text = models.CharField(_("price"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name_nl"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language, falling back to Dutch."""
        lang = (get_language() or "nl")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_nl

    @property
    def description(self) -> str:
        lang = (get_language() or "nl")[:2]
        return getattr(self, f"description_{lang}", "") or self.description_nl

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.required_documents.splitlines() if line.strip()]


def quick_targets() -> dict[int, int]:
    """The quick-counter products (offered on the quick-counter channel) and their target
    service time in minutes: their own, or ``QUICK_TARGET_MINUTES``."""
    rows = ProductChannel.objects.filter(channel=Channel.QUICK_COUNTER).values_list(
        "product_id", "target_minutes"
    )
    return {product_id: target or QUICK_TARGET_MINUTES for product_id, target in rows}


class ProductChannel(models.Model):
    """A channel a product is offered on, with its duration on that channel."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="channels"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=10)
    # Only on the quick counter: the service time to stay within (the figures count the
    # share of visits served within it). Empty: QUICK_TARGET_MINUTES.
    target_minutes = models.PositiveSmallIntegerField(
        _("target (minutes)"),
        null=True,
        blank=True,
        help_text=_("Quick counter only: the service time to stay within. Empty: 5 minutes."),
    )

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["product", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["product", "channel"], name="product_channel_unique"),
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="product_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1, duration_minutes__lte=480),
                name="product_channel_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(target_minutes__isnull=True)
                | models.Q(
                    channel=Channel.QUICK_COUNTER,
                    target_minutes__gte=1,
                    target_minutes__lte=QUICK_TARGET_MAX,
                ),
                name="product_channel_quick_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} — {self.get_channel_display()} ({self.duration_minutes} min)"

    def clean(self) -> None:
        if self.target_minutes is None:
            return
        if self.channel != Channel.QUICK_COUNTER:
            raise ValidationError(
                {"target_minutes": _("A target is only set for the quick counter.")}
            )
        if not 1 <= self.target_minutes <= QUICK_TARGET_MAX:
            raise ValidationError(
                {"target_minutes": _("Between 1 and %(max)s minutes.") % {"max": QUICK_TARGET_MAX}}
            )
