"""Run the background task worker (django-tasks database backend)."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

log = logging.getLogger("onthaal.worker")


class Command(BaseCommand):
    help = "Run the task worker: notifications, reminders, retention and end-of-day jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, interval: float, **options: Any) -> None:
        threading.Thread(target=_housekeeping_loop, name="housekeeping", daemon=True).start()
        call_command("db_worker", interval=interval, reload=False, queue_name="*")


HOUSEKEEPING_SECONDS = 60.0


def _housekeeping_loop() -> None:
    """Periodic jobs next to the task worker: end of day for the queues."""
    from django.db import close_old_connections

    from onthaal.queue.services import housekeeping

    while True:
        try:
            closed = housekeeping()
            if closed:
                log.info("end of day: closed %d tickets", closed)
        except Exception:
            log.exception("housekeeping failed; retrying in a minute")
        finally:
            close_old_connections()
        time.sleep(HOUSEKEEPING_SECONDS)
