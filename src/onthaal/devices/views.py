"""Enrolment: the page an administrator opens on a new device, with its one-time code.

GET shows what the code is for and asks to confirm (a link preview never uses the code);
POST uses the code, sets the device cookie and opens the device's own page. A browser that
becomes a device carries no staff session: any is ended here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from onthaal.accounts.services.tokens import digest
from onthaal.audit.services import record_refusal
from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.devices import services
from onthaal.devices.models import Device, Kind
from onthaal.devices.selectors import COOKIE, COOKIE_MAX_AGE


def home_url(device: Device) -> str:
    """The page a device opens: its location's kiosk or screen."""
    name = "queue:screen" if device.kind == Kind.SCREEN else "queue:kiosk"
    return reverse(name, args=[device.location.slug])


def _pending(code: str) -> Device | None:
    normalised = services.normalise_code(code)
    if len(normalised) != services.CODE_LENGTH:
        return None
    return (
        Device.objects.select_related("location")
        .filter(
            enrolment_hash=digest(normalised),
            enrolment_expires_at__gt=clock.now(),
            revoked_at__isnull=True,
        )
        .first()
    )


@never_cache
def enrol(request: HttpRequest, code: str = "") -> HttpResponse:
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            device, key = services.device_enrol(code=code)
        except DomainError as error:
            record_refusal(
                actor="anonymous",
                capability="devices.enrol",
                object_type="devices.device",
                details={"reason": "bad_code"},
            )
            refused = {"error": error.message, "code": code[:20]}
            return render(request, "devices/enrol.html", refused, status=400)
        if request.user.is_authenticated:
            logout(request)
        response = HttpResponseRedirect(home_url(device))
        response.set_cookie(
            COOKIE,
            key,
            max_age=COOKIE_MAX_AGE,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
    pending = _pending(code) if code else None
    context: dict[str, Any] = {"device": pending, "code": code[:20]}
    if code and pending is None:
        context["error"] = services.refused_text()
        return render(request, "devices/enrol.html", context, status=400)
    return render(request, "devices/enrol.html", context)
