"""One command for the whole demo: migrate, load Zonnedoorn, serve and run the worker.

What a person needs (the accounts, the devices' enrolment links, where to click, where the
demo's e-mails go) is printed last, once the server answers, so that it stays on the screen:
`onthaal.cli` runs the demo with ``LOG_LEVEL=WARNING`` (no line per task or request) and
``DEBUG``'s e-mails go to files (``onthaal.core.mailfiles``), not to the console.

Ctrl-C stops the server and the worker together, and so does TERM (what a service manager
sends to the command alone).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def _interrupt(signum: int, frame: Any) -> None:
    """TERM (or HUP) as Ctrl-C: the ``finally`` below stops the server and the worker."""
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Migrate, load the demo municipality, serve it and run the task worker."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")

    def handle(self, *args: Any, port: int, no_serve: bool, **options: Any) -> None:
        base = f"http://127.0.0.1:{port}"
        if "ONTHAAL_PUBLIC_URL" not in os.environ:
            # The links in the e-mails the demo sends lead to the port it serves on.
            os.environ["ONTHAAL_PUBLIC_URL"] = settings.ONTHAAL_PUBLIC_URL = base
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready: {}".format(settings.DATABASES["default"]["NAME"]))
        # The accounts and enrolment links are printed at the end, with where to click: the
        # last thing on the screen once everything has started.
        loaded = StringIO()
        call_command("load_demo", base_url=base, stdout=loaded)
        first, _, accounts = loaded.getvalue().partition("\n")
        self.stdout.write(first)
        from onthaal.reporting.demo import load_demo_history
        from onthaal.staffing.demo import publish_demo_rosters

        planned = publish_demo_rosters()
        self.stdout.write(
            "Staff planning: {rosters} rosters published; tomorrow's sick day moved {moved} "
            "appointments and asked {notified} citizens to pick another time.".format(**planned)
        )

        if no_serve:  # prepare only: the history loads when the demo is served
            self.stdout.write(accounts, ending="")
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
        env = {**os.environ, "DEBUG": "1" if settings.DEBUG else "0"}
        onthaal = [sys.executable, "-m", "onthaal.cli"]
        procs = [
            subprocess.Popen([*onthaal, "serve", "--port", str(port)], env=env),  # noqa: S603
            subprocess.Popen([*onthaal, "worker"], env=env),  # noqa: S603
        ]
        try:
            self.stdout.write("Starting the server and the task worker; loading the figures…")
            # Two years of figures, in bulk, while the server starts (it serves without them).
            if visits := load_demo_history():
                self.stdout.write(f"Two years of figures: {visits} visits.")
            if _wait_until_served(base, procs):
                self.stdout.write(accounts, ending="")
                self.stdout.write(instructions(base))
                self.stdout.write(
                    self.style.SUCCESS(f"\nOnthaal Zonnedoorn runs on {base}/ — Ctrl-C stops it.")
                )
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            # A second signal (make passes on the TERM the whole group got; Ctrl-C twice) must
            # not interrupt the stopping of the children: they stop within 10 s or are killed.
            for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_IGN)
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()


def _wait_until_served(base: str, procs: list[subprocess.Popen[bytes]]) -> bool:
    """Wait until the server answers ``/healthz`` (False when a child stopped first)."""
    while all(p.poll() is None for p in procs):
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def instructions(base: str) -> str:
    """Where to click, and where the demo's e-mails and text messages go."""
    pages = [
        ("/locations/", "opening hours (public)"),
        ("/locations/administratief-centrum/", "one location, with iCal and JSON-LD"),
        ("/afspraak/", "make an appointment (public)"),
        ("/e-loket/", "digital counter: request from home (public)"),
        ("/staff/login/", "staff login (accounts above)"),
        ("/kiosk/administratief-centrum/", "kiosk: take a ticket (enrol kiosk-ac-1 first)"),
        ("/screen/administratief-centrum/", "waiting-room screen (public)"),
        ("/staff/desk/", "desk app (balie; mw at Sociaal Huis)"),
        ("/staff/reception/sociaal-huis/", "reception: tickets, hand-off (onthaal)"),
        ("/staff/lead/administratief-centrum/", "queues and desks (teamlead)"),
        ("/staff/agenda/administratief-centrum/", "appointments of the day (balie)"),
        ("/admin/", "configuration (admin, teamlead)"),
        ("/staff/audit/", "audit log (auditor)"),
        ("/staff/reports/", "figures and advice (manager, teamlead)"),
        ("/staff/e-loket/", "e-loket requests (balie, teamlead; mw for OCMW)"),
        ("/staff/mail/", "mail register (post)"),
        ("/staff/help/", "help and manual per role (every staff member)"),
        ("/staff/planning/administratief-centrum/", "staff planning (teamlead)"),
        ("/staff/planning/mine/", "my week (every staff member, e.g. sofie)"),
        ("/api/v1/docs/", "API documentation"),
        ("/readyz", "readiness (database, worker, outbox)"),
    ]
    width = max(len(base + path) for path, _ in pages) + 2
    lines = [
        "",
        "Where to click:",
        *(f"  {(base + path).ljust(width)}{what}" for path, what in pages),
        "",
    ]
    if settings.EMAIL_BACKEND == "onthaal.core.mailfiles.EmailBackend":
        lines.append(f"E-mails the demo sends: one .eml file each in {settings.EMAIL_FILE_PATH}/")
    if settings.SMS_BACKEND == "file":
        lines.append(f"Text messages: {settings.DATA_DIR / 'sms.log'}")
    if settings.LOG_LEVEL == "WARNING":
        lines.append(
            "Log: warnings and errors only (`LOG_LEVEL=INFO make demo` prints every task "
            "and request)."
        )
    return "\n".join(lines)
