"""Devices in the admin: an administrator registers a kiosk, screen or ticket printer and gets
its enrolment link on the page after "add" (shown once); new links and revocation are
actions. Nothing here opens a device: only hashes are stored."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onthaal.accounts.admin_access import AddAndActionsAdmin
from onthaal.core.errors import DomainError
from onthaal.devices import services
from onthaal.devices.models import Device


def enrolment_link(request: HttpRequest, code: str) -> str:
    return request.build_absolute_uri(reverse("devices:enrol-code", args=[code]))


@admin.register(Device)
class DeviceAdmin(AddAndActionsAdmin):
    capability = "accounts.change"
    fields = ["name", "kind", "location"]
    list_display = ["name", "kind", "location", "created_at", "enrolled_at", "revoked_at"]
    list_filter = ["kind", "location", "revoked_at"]
    search_fields = ["name"]
    actions = ["new_enrolment", "revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        return ["name", "kind", "location", "created_at", "enrolled_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.get_readonly_fields(request, obj) or self.fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        device, code = services.device_create(
            actor=request.user, location=obj.location, kind=obj.kind, name=obj.name
        )
        for field in ("pk", "name", "created_at", "enrolment_hash", "enrolment_expires_at"):
            setattr(obj, field, getattr(device, field))
        obj._state.adding = False
        request._onthaal_enrolment = [(device, code)]  # type: ignore[attr-defined]

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def _codes_page(self, request: HttpRequest, pairs: list[tuple[Device, str]]) -> HttpResponse:
        """The one time the enrolment links are shown: on this page, never stored."""
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Enrolment links"),
            "opts": self.opts,
            "rows": [
                {"device": d, "code": c, "link": enrolment_link(request, c)} for d, c in pairs
            ],
            "valid_hours": int(services.ENROLMENT_VALID.total_seconds() // 3600),
        }
        response = TemplateResponse(request, "admin/devices/device/enrolment.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._codes_page(request, request._onthaal_enrolment)  # type: ignore[attr-defined]

    @admin.action(description=_("Make a new enrolment link for the selected devices"))
    def new_enrolment(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        pairs = []
        for device in queryset.select_related("location"):
            try:
                pairs.append((device, services.enrolment_renew(actor=request.user, device=device)))
            except DomainError as error:
                self.message_user(request, f"{device.name}: {error.message}", level="error")
        return self._codes_page(request, pairs) if pairs else None

    @admin.action(description=_("Revoke the selected devices"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for device in queryset:
            services.device_revoke(actor=request.user, device=device)
        self.message_user(request, gettext("Revoked."))
