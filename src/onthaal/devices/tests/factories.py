"""Devices for tests: registered and enrolled, with the client carrying their cookie."""

from __future__ import annotations

from typing import Any

from onthaal.devices import services
from onthaal.devices.models import Device, Kind
from onthaal.devices.selectors import COOKIE


def enrolled(
    client: Any, location: Any, *, kind: str = Kind.KIOSK, name: str = "kiosk-1"
) -> Device:
    """A device of ``location``, enrolled; ``client`` now carries its cookie."""
    device, code = services.device_create(actor=None, location=location, kind=kind, name=name)
    device, key = services.device_enrol(code=code)
    client.cookies[COOKIE] = key
    return device
