"""The real worker process is killed in the middle of sending reminders and started again:
every reminder arrives, none twice (the receiving side identifies a message by its
Message-ID; at most the one message in flight at the kill may be delivered again, which a
mail server drops by that id)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from onthaal.appointments import notify
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.core import clock
from onthaal.organisation.models import Department, Desk, Location

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("worker")]

ROOT = Path(__file__).resolve().parents[1]
REMINDERS = 20


def _database_url(settings_dict: dict) -> str:
    if "postgresql" in settings_dict["ENGINE"]:
        host = settings_dict["HOST"] or "127.0.0.1"
        return f"postgres://{settings_dict['USER']}@{host}:{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    return f"sqlite:///{settings_dict['NAME']}"


def _worker(port: int) -> subprocess.Popen[bytes]:
    from django.db import connection

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(connection.settings_dict),
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "0",
        "ONTHAAL_OUTBOX_SECONDS": "0.2",
        "ONTHAAL_OUTBOX_CLAIM_SECONDS": "2",
        "DB_POOL": "0",
        # Its own data dir: the worker writes audit anchors there, not in the developer's.
        "ONTHAAL_DATA_DIR": tempfile.mkdtemp(prefix="onthaal-worker-"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "onthaal.cli", "worker", "--interval", "0.5"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_reminders_arrive_once_when_the_worker_is_killed_mid_batch():
    from aiosmtpd.controller import Controller

    received: list[str] = []
    lock = threading.Lock()

    class SlowServer:
        async def handle_DATA(self, server, session, envelope):
            import asyncio
            import email

            await asyncio.sleep(0.15)  # a slow mail server: the batch takes a few seconds
            message_id = email.message_from_bytes(envelope.content)["Message-ID"]
            with lock:
                received.append(message_id)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(SlowServer(), hostname="127.0.0.1", port=port)
    controller.start()

    location = Location.objects.create(name="Testhuis", slug="testhuis", city="Testdorp")
    from onthaal.organisation.models import Organisation

    organisation = Organisation.objects.create(name="Testdorp", kind="municipality")
    department = Department.objects.create(organisation=organisation, name="Dienst", slug="dienst")
    desk = Desk.objects.create(location=location, name="Balie")
    soon = clock.now() + dt.timedelta(hours=2)
    for n in range(REMINDERS):
        Appointment.objects.create(
            token_hash="x" * 64,
            location=location,
            department=department,
            desk=desk,
            start=soon + dt.timedelta(minutes=10 * n),
            end=soon + dt.timedelta(minutes=10 * n + 10),
            status=Status.BOOKED,
            name="Jan",
            email=f"j{n}@example.org",
            created_at=clock.now(),
        )
    assert notify.schedule_reminders() == REMINDERS

    worker = _worker(port)
    try:
        deadline = time.monotonic() + 60
        while len(received) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(received) >= 5, "the worker did not start sending"
        os.killpg(worker.pid, signal.SIGKILL)  # killed in the middle of the batch
        worker.wait(timeout=10)
        at_kill = len(received)
        assert at_kill < REMINDERS
        worker = _worker(port)
        deadline = time.monotonic() + 60
        while len(set(received)) < REMINDERS and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1)  # nothing more should come
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        controller.stop()
    assert len(set(received)) == REMINDERS  # every reminder arrived
    assert len(received) <= REMINDERS + 1  # at most the one in flight at the kill, again
    statuses = set(Notification.objects.values_list("status", flat=True))
    assert statuses == {Notification.State.SENT}
