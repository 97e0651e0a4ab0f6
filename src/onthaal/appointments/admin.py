from django.contrib import admin

from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.appointments.models import BookingPolicy


@admin.register(BookingPolicy)
class BookingPolicyAdmin(CapabilityAdmin):
    """Team leads set their department's booking rules: grid, buffer, lead time, horizon,
    limits per contact, the no-show policy, and same-day short appointments."""

    capability = "catalogue.change"
    department_path = "department"
    list_display = ["department", "grid_minutes", "lead_hours", "horizon_weeks", "no_show_limit"]
