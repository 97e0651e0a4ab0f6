"""Run the background task worker (django-tasks database backend)."""

from __future__ import annotations

import logging
import os
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


OUTBOX_SECONDS = float(os.environ.get("ONTHAAL_OUTBOX_SECONDS", "5"))


def _housekeeping_loop() -> None:
    """Periodic jobs next to the task worker: turn alerts and the outbox every 5 seconds;
    reminders, no-shows, retention, the end of day for the queues, the tallies of anonymous
    refusals and the figures (reporting's visit facts) every minute."""
    from django.db import close_old_connections

    from onthaal.appointments import notify
    from onthaal.appointments import services as appointments
    from onthaal.audit import refusals
    from onthaal.mail import email_intake
    from onthaal.mail import outbox as mail_outbox
    from onthaal.queue import alerts
    from onthaal.queue.services import housekeeping
    from onthaal.reporting.services import refresh_facts

    ticks = 0
    while True:
        try:
            alerts.enqueue_turn_alerts()  # before sending, so a new one goes out this tick
            sent = notify.send_due() + mail_outbox.send_due()
            if sent:
                log.info("outbox: sent %d messages", sent)
            if ticks % 12 == 0:  # about once a minute
                closed = housekeeping()
                if closed:
                    log.info("end of day: closed %d tickets", closed)
                notify.schedule_reminders()
                appointments.mark_no_shows()
                appointments.anonymise_expired()
                notify.forget_ticket_recipients()
                mail_outbox.schedule_reminders()
                polled = email_intake.poll_imap()
                if polled.registered:
                    log.info("mailbox: registered %s", ", ".join(polled.registered))
                refusals.write_ended()  # anonymous refusals: one event per client and minute
                recorded = refresh_facts()
                if recorded:
                    log.info("figures: recorded %d visits", recorded)
        except Exception:
            log.exception("housekeeping failed; retrying shortly")
        finally:
            close_old_connections()
        ticks += 1
        time.sleep(OUTBOX_SECONDS)
