"""The demo's devices: a kiosk and a waiting-room screen at the Administratief Centrum.

Each load of the demo prints a fresh enrolment code for each (``load_demo``): open its link in
the browser that plays the kiosk or the screen. A code made earlier stops working once a newer
one is made; a device already enrolled keeps working until its new code is used."""

from __future__ import annotations

from onthaal.devices import services
from onthaal.devices.models import Device, Kind
from onthaal.organisation.models import Location

ACTOR = "demo"
# (name, kind, location slug)
DEMO_DEVICES = [
    ("kiosk-ac-1", Kind.KIOSK, "administratief-centrum"),
    ("screen-ac-1", Kind.SCREEN, "administratief-centrum"),
]


def demo_enrolments() -> list[tuple[Device, str]]:
    """Each demo device (registered on first use) with a new enrolment code."""
    pairs = []
    for name, kind, slug in DEMO_DEVICES:
        device = Device.objects.select_related("location").filter(name=name).first()
        if device is None:
            location = Location.objects.get(slug=slug)
            pairs.append(
                services.device_create(actor=ACTOR, location=location, kind=kind, name=name)
            )
        elif device.revoked_at is None:
            pairs.append((device, services.enrolment_renew(actor=ACTOR, device=device)))
    return pairs
