"""Devices: registered, enrolled once with a code, recognised by their cookie, revoked.

The enrolment code and the cookie's key are random and stored as a SHA-256 hash, as API
tokens are (``onthaal.accounts.services.tokens.digest``): nothing in the database opens a
device. An enrolment is a conditional UPDATE on the code's hash, so a code opens one device
once, however many requests present it at the same time. Every registration, enrolment,
new code and revocation is an audit event; the enrolment's actor is the device itself.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onthaal.accounts.services.tokens import digest
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.devices.models import Device, Kind
from onthaal.organisation.models import Location

# How long an enrolment code stays valid once made.
ENROLMENT_VALID = dt.timedelta(hours=24)
# Letters and digits nobody mistakes for one another (no 0/O, 1/I/L): 12 of them, 60 bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")


def new_code() -> str:
    """A fresh enrolment code, shown as XXXX-XXXX-XXXX."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(code: str) -> str:
    """The code as typed (lower case, spaces, dashes) as it was hashed."""
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())[: CODE_LENGTH + 4]


def refused_text() -> str:
    """What a refused enrolment code is told (in the language of the request)."""
    return _("This enrolment code is unknown, used or expired. Ask for a new one.")


def _details(device: Device) -> dict[str, Any]:
    return {"name": device.name, "kind": device.kind, "location": device.location.slug}


def _event(device: Device, actor: Any, action: str, **details: Any) -> None:
    record_event(
        action=action,
        actor=actor,
        object_type="devices.device",
        object_id=device.pk,
        details={**_details(device), **details},
    )


def device_create(*, actor: Any, location: Location, kind: str, name: str) -> tuple[Device, str]:
    """Register a device at ``location``; returns it and its enrolment code (shown once)."""
    name = (name or "").strip().lower()
    errors: dict[str, list[str]] = {}
    if not NAME_PATTERN.match(name):
        errors["name"] = [_("Use lower-case letters, digits and dashes, e.g. kiosk-ac-1.")]
    if kind not in Kind.values:
        errors["kind"] = [_("Choose kiosk, screen or ticket printer.")]
    if errors:
        raise DomainError(_("The device cannot be registered."), fields=errors)
    code = new_code()
    device = Device(
        name=name,
        kind=kind,
        location=location,
        created_at=clock.now(),
        enrolment_hash=digest(normalise_code(code)),
        enrolment_expires_at=clock.now() + ENROLMENT_VALID,
    )
    try:
        with transaction.atomic():
            device.save(force_insert=True)
            _event(device, actor, Action.CREATE)
    except IntegrityError as exc:
        raise Conflict(
            _("A device named %(name)s exists already.") % {"name": name},
            code="device_name_taken",
            fields={"name": [_("This name is taken.")]},
        ) from exc
    return device, code


def enrolment_renew(*, actor: Any, device: Device) -> str:
    """A new enrolment code for ``device`` (a new machine, a lost cookie). The device's
    current cookie keeps working until the new code is used; a revoked device gets none."""
    code = new_code()
    with transaction.atomic():
        device = Device.objects.select_for_update().select_related("location").get(pk=device.pk)
        if device.revoked_at is not None:
            raise Conflict(_("This device is revoked: register a new one."), code="device_revoked")
        device.enrolment_hash = digest(normalise_code(code))
        device.enrolment_expires_at = clock.now() + ENROLMENT_VALID
        device.save(update_fields=["enrolment_hash", "enrolment_expires_at"])
        _event(device, actor, Action.UPDATE, enrolment="new code")
    return code


def device_enrol(*, code: str) -> tuple[Device, str]:
    """Use the enrolment ``code``: returns the device and the key of its cookie (set once,
    never stored). An unknown, used or expired code is refused; so is a revoked device's."""
    refused = refused_text()
    normalised = normalise_code(code)
    if len(normalised) != CODE_LENGTH:
        raise DomainError(refused, code="bad_code", fields={"code": [refused]})
    key = secrets.token_urlsafe(32)
    now = clock.now()
    with transaction.atomic():
        claimed = Device.objects.filter(
            enrolment_hash=digest(normalised),
            enrolment_expires_at__gt=now,
            revoked_at__isnull=True,
        ).update(enrolment_hash=None, key_hash=digest(key), enrolled_at=now)
        if not claimed:
            raise DomainError(refused, code="bad_code", fields={"code": [refused]})
        device = Device.objects.select_related("location").get(key_hash=digest(key))
        _event(device, device.actor, Action.UPDATE, enrolled=True)
    return device, key


def device_revoke(*, actor: Any, device: Device) -> Device:
    """Revoke ``device``: its cookie and any enrolment code stop working at once. It stays,
    for the record; revoking it again changes nothing."""
    with transaction.atomic():
        device = Device.objects.select_for_update().select_related("location").get(pk=device.pk)
        if device.revoked_at is not None:
            return device
        device.revoked_at = clock.now()
        device.enrolment_hash = None
        device.save(update_fields=["revoked_at", "enrolment_hash"])
        _event(device, actor, Action.UPDATE, revoked=True)
    return device
