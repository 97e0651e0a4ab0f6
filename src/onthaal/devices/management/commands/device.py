"""``onthaal device create --location SLUG --kind kiosk NAME``, ``onthaal device enrol NAME``
(a new enrolment code), ``onthaal device revoke NAME`` and ``onthaal device list``.

``create`` and ``enrol`` print the one-time enrolment code and the path of its link (prefix it
with the site's address); the database keeps only hashes. Each change is an audit event by the
system actor ``command line``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from onthaal.core.errors import DomainError
from onthaal.devices import services
from onthaal.devices.models import Device, Kind
from onthaal.organisation.models import Location

ACTOR = "command line"


class Command(BaseCommand):
    help = "Register, enrol, revoke or list devices (kiosks, screens, ticket printers)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Register a device and print its enrolment code.")
        create.add_argument("name")
        create.add_argument("--location", required=True, help="The location's slug.")
        create.add_argument("--kind", required=True, choices=Kind.values)
        enrol = sub.add_parser("enrol", help="A new enrolment code for a device.")
        enrol.add_argument("name")
        revoke = sub.add_parser("revoke", help="Revoke a device: its cookie stops working.")
        revoke.add_argument("name")
        sub.add_parser("list", help="The devices (never their codes or keys).")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as refused:
            raise CommandError(refused.message) from refused

    def _device(self, name: str) -> Device:
        device = Device.objects.select_related("location").filter(name=name).first()
        if device is None:
            raise CommandError(f"No device named {name!r}.")
        return device

    def _print_code(self, device: Device, code: str) -> None:
        self.stdout.write(
            f"{device.name} ({device.kind}, {device.location.slug}): enrolment code {code}\n"
            f"  link: {reverse('devices:enrol-code', args=[code])}  "
            f"(valid {int(services.ENROLMENT_VALID.total_seconds() // 3600)} h, once)"
        )

    def _create(self, *, name: str, location: str, kind: str, **options: Any) -> None:
        place = Location.objects.filter(slug=location).first()
        if place is None:
            raise CommandError(f"No location with slug {location!r}.")
        device, code = services.device_create(actor=ACTOR, location=place, kind=kind, name=name)
        self._print_code(device, code)

    def _enrol(self, *, name: str, **options: Any) -> None:
        device = self._device(name)
        self._print_code(device, services.enrolment_renew(actor=ACTOR, device=device))

    def _revoke(self, *, name: str, **options: Any) -> None:
        device = services.device_revoke(actor=ACTOR, device=self._device(name))
        self.stdout.write(f"Revoked {device.name}.")

    def _list(self, **options: Any) -> None:
        for device in Device.objects.select_related("location"):
            state = (
                f"revoked {device.revoked_at:%Y-%m-%d %H:%M}"
                if device.revoked_at
                else (
                    f"enrolled {device.enrolled_at:%Y-%m-%d %H:%M}"
                    if device.enrolled_at
                    else "not enrolled"
                )
            )
            self.stdout.write(f"{device.name}\t{device.kind}\t{device.location.slug}\t{state}")
