from django.contrib import admin

from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.organisation.models import Department, Desk, Location, Organisation


@admin.register(Organisation)
class OrganisationAdmin(CapabilityAdmin):
    list_display = ["name", "kind"]


@admin.register(Location)
class LocationAdmin(CapabilityAdmin):
    list_display = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Department)
class DepartmentAdmin(CapabilityAdmin):
    list_display = ["name", "organisation", "confidential"]
    list_filter = ["organisation", "confidential"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["locations"]


@admin.register(Desk)
class DeskAdmin(CapabilityAdmin):
    list_display = ["name", "location", "kind", "active"]
    list_filter = ["location", "kind", "active"]
    filter_horizontal = ["departments"]
