"""Rate limits for online booking, without third parties: per IP address and per contact,
counted in the cache (Redis in production, shared by all app processes; in-process memory in
the embedded default). Staff booking on behalf of a caller is not limited."""

from __future__ import annotations

import os

from django.core.cache import cache
from django.utils.translation import gettext as _

from onthaal.core.errors import DomainError

# 10 bookings per 10 minutes from one address (ONTHAAL_BOOKINGS_PER_IP: a town hall's own
# network, or a load test, may need more).
PER_IP = (int(os.environ.get("ONTHAAL_BOOKINGS_PER_IP", "10")), 10 * 60)
PER_CONTACT = (5, 24 * 60 * 60)  # 5 per day for one e-mail address or phone number


class TooMany(DomainError):
    status_code = 429
    default_code = "rate_limited"


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt; True when still within the limit."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit


def check(*, ip: str | None, contact: str) -> None:
    if ip and not _hit(f"onthaal:booking:ip:{ip}", *PER_IP):
        raise TooMany(_("Too many bookings from this connection. Try again in a few minutes."))
    contact = contact.strip().lower()
    if contact and not _hit(f"onthaal:booking:contact:{contact}", *PER_CONTACT):
        raise TooMany(
            _("Too many bookings for this contact today. Call us and we will help you."),
            fields={"email": [_("Too many bookings for this contact today.")]},
        )
