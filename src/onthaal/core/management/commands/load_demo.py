"""Load the demo municipality (Gemeente en OCMW Zonnedoorn) and print how to log in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from onthaal.demo import zonnedoorn


class Command(BaseCommand):
    help = "Load the fictional demo municipality Zonnedoorn (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if zonnedoorn.load():
            self.stdout.write(self.style.SUCCESS("Demo municipality Zonnedoorn loaded."))
        else:
            self.stdout.write("Demo municipality Zonnedoorn was already loaded.")
        self.stdout.write("\nDemo accounts (log in at /staff/login/):")
        for username, password, role in zonnedoorn.credentials():
            self.stdout.write(f"  {username:<10} {password:<18} {role}")
        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off: demo passwords are refused. Set DEBUG=1 to use them."
                )
            )
