from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from onthaal.accounts import access
from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.hours.models import OpeningException, OpeningRule


class HoursAdmin(CapabilityAdmin):
    """Team leads edit their own department's hours; location-wide hours (no department)
    belong to administrators with an administration-wide membership."""

    capability = "hours.change"
    department_path = "department"
    list_filter = ["location", "department"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        condition = Q(department__in=self._departments(request))
        if self._location_wide(request):
            condition |= Q(department__isnull=True)
        return queryset.filter(condition)

    def _location_wide(self, request: HttpRequest) -> bool:
        return any(
            m.department_id is None and m.role in access.CAPABILITIES[self.capability]
            for m in access.memberships(request.user)
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "department" and not self._location_wide(request):
            field.required = True
        return field


@admin.register(OpeningRule)
class OpeningRuleAdmin(HoursAdmin):
    list_display = [
        "location",
        "department",
        "channel",
        "weekday",
        "opens",
        "closes",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["location", "department", "channel", "weekday"]


@admin.register(OpeningException)
class OpeningExceptionAdmin(HoursAdmin):
    list_display = [
        "date",
        "location",
        "department",
        "channel",
        "closed",
        "opens",
        "closes",
        "reason",
    ]
    list_filter = ["location", "department", "closed"]
    date_hierarchy = "date"
