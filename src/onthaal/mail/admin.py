"""Configuration of the mail register in the admin: document types (administrators) and the
intake rules of each department (its team lead). Mail items are not in the admin: reading
them goes through the selectors, which log every read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from onthaal.accounts import access
from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.mail.models import DocumentType, MailRule


@admin.register(DocumentType)
class DocumentTypeAdmin(CapabilityAdmin):
    capability = "organisation.change"
    list_display = ["name", "confidentiality", "answer_days", "retention_years", "final_action"]
    search_fields = ["name"]


@admin.register(MailRule)
class MailRuleAdmin(CapabilityAdmin):
    capability = "mail.rules"
    department_path = "department"
    list_display = ["name", "match", "pattern", "department", "document_type", "priority"]
    list_filter = ["department", "match", "active"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "handler" and field is not None:
            departments = access.departments_with(request.user, self.capability)
            field.queryset = field.queryset.filter(
                memberships__department__in=departments
            ).distinct()
        return field
