from django.contrib import admin

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.catalogue.models import Product, ProductChannel


class ProductChannelInline(CapabilityInline):
    capability = "catalogue.change"
    model = ProductChannel
    extra = 1


@admin.register(Product)
class ProductAdmin(CapabilityAdmin):
    capability = "catalogue.change"
    department_path = "department"
    list_display = ["name_nl", "department", "active"]
    list_filter = ["department", "active"]
    search_fields = ["name_nl", "name_fr", "name_en", "ipdc_concept_id"]
    prepopulated_fields = {"slug": ["name_nl"]}
    inlines = [ProductChannelInline]
    fieldsets = [
        (None, {"fields": ["department", "slug", "active", "ipdc_concept_id"]}),
        ("Nederlands", {"fields": ["name_nl", "description_nl"]}),
        ("Français", {"fields": ["name_fr", "description_fr"]}),
        ("English", {"fields": ["name_en", "description_en"]}),
        (None, {"fields": ["required_documents", "price_text"]}),
    ]
