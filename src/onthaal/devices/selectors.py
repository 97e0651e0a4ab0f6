"""Which device is asking: the device cookie, looked up by its hash (one indexed query)."""

from __future__ import annotations

from django.http import HttpRequest

from onthaal.accounts.services.tokens import digest
from onthaal.devices.models import Device

COOKIE = "onthaal_device"
# A device stays enrolled until it is revoked: the cookie outlives any browser session.
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600


def device_from_key(key: str) -> Device | None:
    """The active device whose cookie holds ``key``, or None (unknown or revoked)."""
    if not key or len(key) > 100:
        return None
    return (
        Device.objects.select_related("location")
        .filter(key_hash=digest(key), revoked_at__isnull=True)
        .first()
    )


def request_device(request: HttpRequest) -> Device | None:
    """The device of ``request`` (its cookie), read once per request."""
    if not hasattr(request, "_onthaal_device"):
        key = request.COOKIES.get(COOKIE, "")
        request._onthaal_device = device_from_key(key)  # type: ignore[attr-defined]
    return request._onthaal_device  # type: ignore[attr-defined]
