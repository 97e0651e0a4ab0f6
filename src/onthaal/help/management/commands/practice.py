"""``onthaal practice``: the practice environment on the demo municipality, in its own data
dir, with the "OEFENOMGEVING" banner on every page. ``--reset`` starts from a fresh demo.

``onthaal.cli`` sets the environment (``onthaal.help.practice.environment``) before Django
reads its settings; this command refuses to run without it.
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from onthaal.help import practice


class Command(BaseCommand):
    help = "Run the practice environment (demo municipality, own data dir, banner)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--reset", action="store_true", help="Start from a fresh demo.")
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")

    def handle(self, *args: Any, port: int, reset: bool, no_serve: bool, **options: Any) -> None:
        if not settings.PRACTICE:
            raise CommandError("run it as `onthaal practice`: it sets its own data dir first")
        if reset:
            try:
                removed = practice.reset()
            except RuntimeError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Practice environment reset: {removed} removed.")
        base = f"http://127.0.0.1:{port}"
        if "ONTHAAL_PUBLIC_URL" not in os.environ:
            # As `onthaal demo`: the links in the e-mails the demo sends lead to the port it
            # serves on, from its first load on (`demo` below then finds it set).
            os.environ["ONTHAAL_PUBLIC_URL"] = settings.ONTHAAL_PUBLIC_URL = base
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", base_url=base)
        opened = practice.open_walk_in_today()
        self.stdout.write(
            f"Practice environment in {settings.DATA_DIR}: walk-in open all day today "
            f"({opened} locations). `onthaal practice --reset` starts again from scratch."
        )
        if no_serve:
            from onthaal.reporting.demo import load_demo_history

            load_demo_history()
            return
        call_command("demo", port=port)
