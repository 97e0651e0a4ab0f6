"""A citizen's contact as the rules about it see it: normalised, and as a keyed hash.

The no-show rule ("3 no-shows in 6 months: please call us") must still recognise a citizen
after the retention job has removed their name and contact. What it keeps is a keyed hash
(HMAC-SHA256) of the normalised contact, with a key derived from ``SECRET_KEY``, which is
not in the database: the hashes in a copy of the database cannot be tested against a list of
addresses. A new ``SECRET_KEY`` forgets the no-show history, nothing else.
"""

from __future__ import annotations

import re

from django.utils.crypto import salted_hmac

SALT = "onthaal.appointments.contact"


def normalised(email: str, phone: str) -> str:
    """The contact that identifies a citizen for the rules: the e-mail address (lower case,
    without a ``+tag`` after the local part) when there is one, else the mobile number
    (digits in international form: ``0470 12 34 56``, ``0032 470…`` and ``+32 470…`` are one
    number). Empty when there is neither."""
    email = (email or "").strip().lower()
    if "@" in email:
        local, _, domain = email.rpartition("@")
        return f"email:{local.split('+', 1)[0]}@{domain}"
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    if (phone or "").strip().startswith("+"):
        return f"phone:+{digits}"
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "32" + digits[1:]  # a Belgian number without its country code
    return f"phone:+{digits}"


def contact_key(email: str, phone: str) -> str:
    """The keyed hash of the normalised contact (64 hex characters); empty without one."""
    contact = normalised(email, phone)
    if not contact:
        return ""
    return salted_hmac(SALT, contact, algorithm="sha256").hexdigest()
