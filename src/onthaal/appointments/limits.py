"""Rate limits for online booking: per IP address and per contact (``onthaal.core.ratelimit``).
Staff booking on behalf of a caller is not limited."""

from __future__ import annotations

import os

from django.utils.translation import gettext as _

from onthaal.appointments.contact import contact_key
from onthaal.core.ratelimit import TooMany, hit

# 10 bookings per 10 minutes from one address (ONTHAAL_BOOKINGS_PER_IP: a town hall's own
# network, or a load test, may need more).
PER_IP = (int(os.environ.get("ONTHAAL_BOOKINGS_PER_IP", "10")), 10 * 60)
PER_CONTACT = (5, 24 * 60 * 60)  # 5 per day for one e-mail address or phone number


__all__ = ["TooMany", "check"]


def check(*, ip: str | None, contact: str) -> None:
    if ip and not hit(f"onthaal:booking:ip:{ip}", *PER_IP):
        raise TooMany(_("Too many bookings from this connection. Try again in a few minutes."))
    # Counted under the contact's keyed hash: the cache (or its database fallback) holds no
    # address, and ``J@x.org`` and ``j+tag@x.org`` count as one.
    key = contact_key(contact, "") if "@" in contact else contact_key("", contact)
    if key and not hit(f"onthaal:booking:contact:{key}", *PER_CONTACT):
        raise TooMany(
            _("Too many bookings for this contact today. Call us and we will help you."),
            fields={"email": [_("Too many bookings for this contact today.")]},
        )
