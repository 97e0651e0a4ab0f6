"""Run the background task worker (django-tasks database backend)."""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

log = logging.getLogger("onthaal.worker")


class Command(BaseCommand):
    help = "Run the task worker: notifications, reminders, retention and end-of-day jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, interval: float, **options: Any) -> None:
        threading.Thread(target=_heartbeat_loop, name="heartbeat", daemon=True).start()
        threading.Thread(target=_housekeeping_loop, name="housekeeping", daemon=True).start()
        run_tasks(interval)


RETRY_SECONDS = 2.0


def run_tasks(interval: float) -> None:
    """django-tasks' database worker, started again when the database refuses it for a moment:
    on the embedded SQLite a long write (loading the demo, a migration, a backup) can hold the
    writer's lock longer than the worker waits, and its poll then raises "database is locked".
    Before, that ended the worker, and ``onthaal demo`` with it. A stop (TERM, INT) returns."""
    from django.db import OperationalError, close_old_connections

    while True:
        try:
            call_command("db_worker", interval=interval, reload=False, queue_name="*")
            return
        except OperationalError as error:
            log.warning(
                "task worker: the database refused (%s); again in %.0f s", error, RETRY_SECONDS
            )
            close_old_connections()
            time.sleep(RETRY_SECONDS)


def _heartbeat_loop() -> None:
    """Write this worker's heartbeat every WORKER_HEARTBEAT_SECONDS (``/readyz`` reads it);
    forget the heartbeats of workers gone for a day once an hour."""
    from django.db import close_old_connections

    from onthaal.core import clock
    from onthaal.operations import health

    name, started_at = health.worker_name(), clock.now()
    beats = 0
    while True:
        try:
            if beats % 3600 == 0:
                health.forget_gone_workers()
            health.beat(name, started_at)
        except Exception:
            log.warning("worker heartbeat not written; retrying", exc_info=True)
        finally:
            close_old_connections()
        beats += 1
        time.sleep(health.WORKER_HEARTBEAT_SECONDS)


OUTBOX_SECONDS = float(os.environ.get("ONTHAAL_OUTBOX_SECONDS", "5"))


def _housekeeping_loop() -> None:
    """Periodic jobs next to the task worker: live events an app process could not publish,
    turn alerts and the outbox every 5 seconds; reminders, no-shows, retention (anonymising
    appointments, approved mail destruction lists), the end of day
    for the queues, the tallies of anonymous refusals, the figures (reporting's visit facts) and
    the survey's invitations by e-mail every minute; the yearly mail destruction lists (each organisation's list of the year, once)
    every hour; an anchor of the audit chains every AUDIT_ANCHOR_MINUTES."""
    from django.conf import settings
    from django.db import close_old_connections

    from onthaal.appointments import notify, retention
    from onthaal.appointments import services as appointments
    from onthaal.audit import anchors, refusals
    from onthaal.core import context
    from onthaal.eloket import outbox as eloket_outbox
    from onthaal.eloket import retention as eloket_retention
    from onthaal.mail import email_intake
    from onthaal.mail import outbox as mail_outbox
    from onthaal.mail import retention as mail_retention
    from onthaal.queue import alerts, broker
    from onthaal.queue.services import housekeeping
    from onthaal.reporting import survey
    from onthaal.reporting.services import refresh_facts

    ticks = 0
    anchor_every = settings.AUDIT_ANCHOR_MINUTES * 60
    anchor_due = time.monotonic()
    while True:
        # Each round has an id, as a request has: its log lines and audit events carry it.
        round_id = context.current_request_id.set(f"worker-{uuid.uuid4().hex}")
        if time.monotonic() >= anchor_due:
            try:
                anchors.write()
                anchor_due = time.monotonic() + anchor_every
            except Exception:
                log.exception("audit anchor failed; retrying in a minute")
                anchor_due = time.monotonic() + min(60, anchor_every)
        try:
            relayed = broker.relay_kept()
            if relayed:
                log.info("live events: published %d that app processes could not", relayed)
            alerts.enqueue_turn_alerts()  # before sending, so a new one goes out this tick
            sent = notify.send_due() + mail_outbox.send_due() + eloket_outbox.send_due()
            if sent:
                log.info("outbox: sent %d messages", sent)
            if ticks % 12 == 0:  # about once a minute
                closed = housekeeping()
                if closed:
                    log.info("end of day: closed %d tickets", closed)
                notify.schedule_reminders()
                appointments.mark_no_shows()
                retention.anonymise_expired()
                eloket_retention.anonymise_expired()
                notify.forget_ticket_recipients()
                mail_outbox.schedule_reminders()
                carried = mail_retention.carry_out()
                if carried.destroyed or carried.transferred:
                    log.info(
                        "retention: destroyed %d, transferred %d mail items",
                        len(carried.destroyed),
                        len(carried.transferred),
                    )
                if ticks % 720 == 0:  # about once an hour
                    for proposal in mail_retention.propose_yearly():
                        log.info(
                            "retention: proposed destruction list %d (%d items)",
                            proposal.pk,
                            proposal.lines.count(),
                        )
                polled = email_intake.poll_imap()
                if polled.registered:
                    log.info("mailbox: registered %s", ", ".join(polled.registered))
                refusals.write_ended()  # anonymous refusals: one event per client and minute
                recorded = refresh_facts()
                if recorded:
                    log.info("figures: recorded %d visits", recorded)
                invited = survey.invite_opted_in()  # after the visit, to who agreed to it
                if invited:
                    log.info("survey: queued %d invitations", invited)
        except Exception:
            log.exception("housekeeping failed; retrying shortly")
        finally:
            close_old_connections()
            context.current_request_id.reset(round_id)
        ticks += 1
        time.sleep(OUTBOX_SECONDS)
