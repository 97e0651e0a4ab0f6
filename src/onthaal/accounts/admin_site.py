"""The (Dutch) admin site: open to staff with a configuration capability, not to is_staff."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from onthaal.accounts import access

ADMIN_CAPABILITIES = (
    "organisation.change",
    "catalogue.change",
    "hours.change",
    "accounts.change",
    "staffing.plan",
)


class OnthaalAdminSite(admin.AdminSite):
    site_header = _("Onthaal — configuration")
    site_title = _("Onthaal configuration")
    index_title = _("Configuration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and any(access.can(user, cap) for cap in ADMIN_CAPABILITIES))

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """One login for all staff: the admin sends people to the staff login page."""
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
