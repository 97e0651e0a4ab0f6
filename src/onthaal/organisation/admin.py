from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.core import clock
from onthaal.organisation.models import (
    Department,
    Desk,
    DeskAbsence,
    DeskSchedule,
    Location,
    Organisation,
)


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

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Whether a department is confidential is set when it is made: switching it off
        and on again would let one administrator grant themselves its data without the
        second person a confidential department's memberships need."""
        return ["confidential"] if obj is not None else []


class DeskScheduleInline(CapabilityInline):
    """When the desk takes appointments; no rows: whenever the appointment channel is open."""

    model = DeskSchedule
    fields = ["weekday", "start", "end", "valid_from", "valid_until"]
    extra = 0


class DeskAbsenceInline(CapabilityInline):
    """The absences that have not ended yet; the past ones are in the absences list."""

    model = DeskAbsence
    fields = ["start", "end", "reason"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(end__gt=clock.now())


@admin.register(Desk)
class DeskAdmin(CapabilityAdmin):
    list_display = ["name", "location", "kind", "active"]
    list_filter = ["location", "kind", "active"]
    filter_horizontal = ["departments"]
    inlines = [DeskScheduleInline, DeskAbsenceInline]


@admin.register(DeskAbsence)
class DeskAbsenceAdmin(CapabilityAdmin):
    list_display = ["desk", "start", "end", "reason"]
    list_filter = ["desk__location", "desk"]
    date_hierarchy = "start"
    list_select_related = ["desk__location"]
