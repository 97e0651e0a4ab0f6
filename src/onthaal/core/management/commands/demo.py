"""One command for the whole demo: migrate, load Zonnedoorn, serve and run the worker.

Ctrl-C stops the server and the worker together, and so does TERM (what a service manager
sends to the command alone).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
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
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database ready: {}".format(settings.DATABASES["default"]["NAME"]))
        call_command("load_demo", base_url=f"http://127.0.0.1:{port}")
        from onthaal.reporting.demo import load_demo_history
        from onthaal.staffing.demo import publish_demo_rosters

        planned = publish_demo_rosters()
        self.stdout.write(
            "Staff planning: {rosters} rosters published; tomorrow's sick day moved {moved} "
            "appointments and asked {notified} citizens to pick another time.".format(**planned)
        )

        if no_serve:  # prepare only: the history loads when the demo is served
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _interrupt)
        env = {**os.environ, "DEBUG": "1" if settings.DEBUG else "0"}
        onthaal = [sys.executable, "-m", "onthaal.cli"]
        procs = [
            subprocess.Popen([*onthaal, "serve", "--port", str(port)], env=env),  # noqa: S603
            subprocess.Popen([*onthaal, "worker"], env=env),  # noqa: S603
        ]
        base = f"http://127.0.0.1:{port}"
        self.stdout.write(
            self.style.SUCCESS(f"\nOnthaal Zonnedoorn runs on {base}/ — Ctrl-C stops it.\n")
            + "\nWhere to click:\n"
            f"  {base}/locations/                          opening hours (public)\n"
            f"  {base}/locations/administratief-centrum/   one location, with iCal and JSON-LD\n"
            f"  {base}/afspraak/                           make an appointment (public)\n"
            f"  {base}/e-loket/                           digital counter: request from home (public)\n"
            f"  {base}/staff/login/                        staff login (accounts above)\n"
            f"  {base}/kiosk/administratief-centrum/       kiosk: take a ticket (enrol kiosk-ac-1 first)\n"
            f"  {base}/screen/administratief-centrum/      waiting-room screen (public)\n"
            f"  {base}/staff/desk/                         desk app (balie; mw at Sociaal Huis)\n"
            f"  {base}/staff/reception/sociaal-huis/       reception: tickets, hand-off (onthaal)\n"
            f"  {base}/staff/lead/administratief-centrum/  queues and desks (teamlead)\n"
            f"  {base}/staff/agenda/administratief-centrum/ appointments of the day (balie)\n"
            f"  {base}/admin/                              configuration (admin, teamlead)\n"
            f"  {base}/staff/audit/                        audit log (auditor)\n"
            f"  {base}/staff/reports/                      figures and advice (manager, teamlead)\n"
            f"  {base}/staff/e-loket/                     e-loket requests (balie, teamlead; mw for OCMW)\n"
            f"  {base}/staff/mail/                        mail register (post)\n"
            f"  {base}/staff/help/                        help and manual per role (every staff member)\n"
            f"  {base}/staff/planning/administratief-centrum/ staff planning (teamlead)\n"
            f"  {base}/staff/planning/mine/                my week (every staff member, e.g. sofie)\n"
            f"  {base}/api/v1/docs/                        API documentation\n"
            f"  {base}/readyz                             readiness (database, worker, outbox)\n"
        )
        try:
            # Two years of figures, in bulk, while the server starts (it serves without them).
            if visits := load_demo_history():
                self.stdout.write(f"Two years of figures: {visits} visits.")
            while all(p.poll() is None for p in procs):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
