"""The admin asks ``onthaal.accounts.access`` too: a mixin that scopes a ModelAdmin to the
departments in which the user holds a capability."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Field, Model, QuerySet
from django.http import HttpRequest

from onthaal.accounts import access

# The browser's own date and time pickers (no "Now"/"Today" shortcuts and no warning that the
# browser's clock differs from the server's: times are local Brussels times by design).
NATIVE_WIDGETS: dict[type[Field[Any, Any]], dict[str, Any]] = {
    models.TimeField: {"widget": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")},
    models.DateField: {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")},
    models.DateTimeField: {
        "widget": forms.SplitDateTimeWidget(
            date_attrs={"type": "date"},
            time_attrs={"type": "time"},
            date_format="%Y-%m-%d",
            time_format="%H:%M",
        )
    },
}


class CapabilityAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rights come from one capability, scoped by department.

    ``department_path`` is the lookup from the model to its department ("" when the model
    has no department: then only administration-wide holders may change it).
    """

    capability: str = "organisation.change"
    department_path: str = ""
    formfield_overrides = NATIVE_WIDGETS

    def _departments(self, request: HttpRequest) -> QuerySet[Any]:
        return access.departments_with(request.user, self.capability)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, self.capability)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can(request.user, self.capability)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        if not access.can(request.user, self.capability):
            return False
        if obj is None or not self.department_path:
            return True
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if not self.department_path:
            return queryset
        return queryset.filter(**{f"{self.department_path}__in": self._departments(request)})

    # Every change made in the admin is an audit event in the admin's own transaction.
    def _audit(
        self, request: HttpRequest, obj: Model, action: str, details: dict[str, Any]
    ) -> None:
        from onthaal.audit.services import record_event

        department = None
        if self.department_path:
            department = obj
            for part in self.department_path.split("__"):
                department = getattr(department, part, None)
        record_event(
            action=action,
            actor=request.user,
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            department=department,  # type: ignore[arg-type]
            details=details,
            request=request,
        )

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        self._audit(request, obj, "create", {"via": "admin"})
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        changed: list[str] = []
        for entry in message if isinstance(message, list) else []:
            changed.extend(entry.get("changed", {}).get("fields", []))
        self._audit(request, obj, "update", {"via": "admin", "changed": changed})
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "delete", {"via": "admin", "label": str(obj)})
        return super().log_deletions(request, queryset)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if self.department_path and db_field.name == "department":
            kwargs["queryset"] = self._departments(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CapabilityInline(admin.TabularInline):
    """An inline whose rights follow its parent admin's capability."""

    formfield_overrides = NATIVE_WIDGETS

    capability: str = "organisation.change"

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, self.capability)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, self.capability)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, self.capability)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return access.can(request.user, self.capability)


class AddAndActionsAdmin(CapabilityAdmin):
    """Records that are added and then changed only by the list's actions (a membership
    request, a device): no change form for an existing one, no delete."""

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, None)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
