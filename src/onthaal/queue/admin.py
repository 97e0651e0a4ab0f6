from django.contrib import admin

from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.queue.models import Queue


@admin.register(Queue)
class QueueAdmin(CapabilityAdmin):
    """Team leads configure their department's queues: prefix, products and desks."""

    capability = "queue.change"
    department_path = "department"
    list_display = ["prefix", "name", "location", "department", "active"]
    list_filter = ["location", "department", "active"]
    filter_horizontal = ["products", "desks"]
