from __future__ import annotations

from django.contrib import admin

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.staffing.models import Absence, Roster, RosterAssignment, StaffProfile, StaffRequest


@admin.register(StaffProfile)
class StaffProfileAdmin(CapabilityAdmin):
    capability = "staffing.plan"
    department_path = "department"
    list_display = ["__str__", "department", "percent", "telework_max_days"]
    list_filter = ["department"]
    filter_horizontal = ["locations", "desks", "products"]


@admin.register(Absence)
class AbsenceAdmin(CapabilityAdmin):
    capability = "staffing.plan"
    department_path = "user__staff_profile__department"
    list_display = ["user", "kind", "start", "end"]
    list_filter = ["kind"]
    exclude = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        from onthaal.core import clock

        if not change:
            obj.created_by = request.user
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


class AssignmentInline(CapabilityInline):
    model = RosterAssignment
    capability = "staffing.plan"
    extra = 0


@admin.register(Roster)
class RosterAdmin(CapabilityAdmin):
    capability = "staffing.plan"
    department_path = "department"
    list_display = ["location", "department", "week", "status"]
    list_filter = ["location", "department", "status"]
    inlines = [AssignmentInline]
    readonly_fields = ["unmet", "created_at", "published_at", "published_by"]


@admin.register(StaffRequest)
class StaffRequestAdmin(CapabilityAdmin):
    capability = "staffing.plan"
    department_path = "user__staff_profile__department"
    list_display = ["user", "kind", "start", "end", "status"]
    list_filter = ["status", "kind"]
    readonly_fields = ["status", "decided_by", "decided_at", "absence", "gap", "created_at"]
