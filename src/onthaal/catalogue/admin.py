from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.catalogue.models import Channel, Product, ProductChannel


class ProductChannelInline(CapabilityInline):
    capability = "catalogue.change"
    model = ProductChannel
    extra = 1
    fields = ["channel", "duration_minutes", "target_minutes"]


def _quick() -> Exists:
    return Exists(
        ProductChannel.objects.filter(product=OuterRef("pk"), channel=Channel.QUICK_COUNTER)
    )


class QuickFilter(admin.SimpleListFilter):
    """Products served at the quick counter (offered on its channel) or not."""

    title = _("quick counter")
    parameter_name = "quick"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("Yes")), ("0", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "1":
            return queryset.filter(_quick())
        if self.value() == "0":
            return queryset.exclude(_quick())
        return queryset


@admin.register(Product)
class ProductAdmin(CapabilityAdmin):
    capability = "catalogue.change"
    department_path = "department"
    list_display = ["name_nl", "department", "quick", "active"]
    list_filter = ["department", QuickFilter, "active"]
    search_fields = ["name_nl", "name_fr", "name_en", "ipdc_concept_id"]
    prepopulated_fields = {"slug": ["name_nl"]}
    inlines = [ProductChannelInline]
    fieldsets = [
        (
            None,
            {
                "fields": ["department", "slug", "active", "ipdc_concept_id"],
                "description": _(
                    "A product is served at the quick counter (snelbalie) when it has the "
                    "channel 'quick counter' below; its target is the service time to stay "
                    "within (empty: 5 minutes)."
                ),
            },
        ),
        ("Nederlands", {"fields": ["name_nl", "description_nl"]}),
        ("Français", {"fields": ["name_fr", "description_fr"]}),
        ("English", {"fields": ["name_en", "description_en"]}),
        (None, {"fields": ["required_documents", "price_text"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(is_quick=_quick())

    @admin.display(boolean=True, description=_("quick counter"), ordering="is_quick")
    def quick(self, obj: Any) -> bool:
        return bool(getattr(obj, "is_quick", False))
