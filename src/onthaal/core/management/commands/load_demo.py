"""Load the demo municipality (Gemeente en OCMW Zonnedoorn) and print how to log in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from onthaal.demo import zonnedoorn
from onthaal.devices.demo import demo_enrolments


class Command(BaseCommand):
    help = "Load the fictional demo municipality Zonnedoorn (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--base-url", default="", help="The demo's address, to print full enrolment links."
        )

    def handle(self, *args: Any, base_url: str = "", **options: Any) -> None:
        if zonnedoorn.load():
            self.stdout.write(self.style.SUCCESS("Demo municipality Zonnedoorn loaded."))
        else:
            self.stdout.write("Demo municipality Zonnedoorn was already loaded.")
        self.stdout.write("\nDemo accounts (log in at /staff/login/):")
        for username, password, role in zonnedoorn.credentials():
            self.stdout.write(f"  {username:<10} {password:<18} {role}")
        self.stdout.write(
            "\nDemo devices: open each link in the browser that plays the device "
            "(once, within 24 hours):"
        )
        for device, code in demo_enrolments():
            link = base_url + reverse("devices:enrol-code", args=[code])
            self.stdout.write(f"  {device.name:<12} {device.get_kind_display():<20} {link}")
        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off: demo passwords are refused. Set DEBUG=1 to use them."
                )
            )
