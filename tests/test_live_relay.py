"""A screen cannot miss a call because the app process that made it could not reach Redis.

Two app processes, as in production: a screen is connected to one (``onthaal serve``, Redis
healthy); the desk calls through another (this test process) whose Redis is unreachable. The
publish fails there, the event is kept in the database, and the worker's relay (a third
process, Redis healthy) publishes it: the screen gets the call."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from onthaal.core import clock
from onthaal.queue import broker
from onthaal.queue.models import KeptLiveEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("live")]

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS = "redis://127.0.0.1:1/0"


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "DB_POOL": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ONTHAAL_DATA_DIR": str(tmp_path),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def healthy_app_process(tmp_path: Path) -> Iterator[int]:
    """``onthaal serve`` with a working Redis; its port."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "onthaal.cli", "serve", "--port", str(port)],
        env=_env(tmp_path),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", "/api/v1/locations/")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the app process did not start")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Screen:
    """A waiting-room screen on the event stream: every event as (name, data)."""

    def __init__(self, port: int, location_id: int) -> None:
        self.events: list[tuple[str, dict]] = []
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._socket.sendall(
            f"GET /api/v1/locations/{location_id}/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        name = ""
        with self._socket.makefile("rb") as stream:
            for raw in stream:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: ") and name:
                    self.events.append((name, json.loads(line.removeprefix("data: "))))
                    name = ""

    def wait_for(self, name: str, count: int = 1, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [data for event, data in self.events if event == name]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {name!r} event within {timeout} s: {self.events}")

    def close(self) -> None:
        self._socket.close()


def _relay_in_a_worker_process(tmp_path: Path) -> str:
    """What the worker does every few seconds, in a process of its own with a working Redis."""
    code = "from onthaal.queue import broker; print(broker.relay_kept())"
    done = subprocess.run(
        [sys.executable, "-m", "onthaal.cli", "shell", "--no-imports", "-c", code],
        env=_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_call_made_where_redis_is_unreachable_still_reaches_a_screen_elsewhere(
    healthy_app_process, tmp_path, settings
):
    from onthaal.demo import zonnedoorn
    from onthaal.queue import services
    from onthaal.queue.models import Queue
    from tests.concurrency.conftest import issue_tickets, open_desk

    zonnedoorn.load()
    queue = Queue.objects.select_related("location", "department").get(
        location__slug="administratief-centrum", prefix="B"
    )
    issue_tickets(queue, 2)
    desk, agent = open_desk(queue, "Balie zonder Redis")
    screen = Screen(healthy_app_process, queue.location_id)
    try:
        screen.wait_for("state")
        settings.REDIS_URL = DEAD_REDIS  # this app process's Redis is unreachable
        broker.reset_broker()
        ticket = services.call_next(desk=desk, actor=agent)
        assert ticket is not None
        kept = list(KeptLiveEvent.objects.values_list("location_id", "payload"))
        assert len(kept) == 1 and kept[0][0] == queue.location_id
        assert (kept[0][1]["type"], kept[0][1]["code"]) == ("called", ticket.code)
        time.sleep(1)
        assert [e for e, _ in screen.events] == ["state"]  # nothing reached the screen yet

        assert _relay_in_a_worker_process(tmp_path) == "1"
        (called,) = screen.wait_for("ticket")
        assert (called["type"], called["code"], called["desk"]) == (
            "called",
            ticket.code,
            desk.name,
        )
        assert not KeptLiveEvent.objects.exists()
    finally:
        screen.close()
        broker.reset_broker()


def test_the_relay_keeps_events_it_cannot_publish_and_drops_stale_ones(settings):
    now = clock.now()
    stale = KeptLiveEvent.objects.create(
        location_id=1, payload={"type": "called"}, created_at=now - dt.timedelta(seconds=61)
    )
    fresh = KeptLiveEvent.objects.create(
        location_id=1, payload={"type": "called"}, created_at=now - dt.timedelta(seconds=5)
    )
    settings.REDIS_URL = DEAD_REDIS
    broker.reset_broker()
    try:
        assert broker.relay_kept() == 0
    finally:
        broker.reset_broker()
    assert list(KeptLiveEvent.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not KeptLiveEvent.objects.filter(pk=stale.pk).exists()


def test_publishing_with_a_working_broker_keeps_nothing(settings):
    settings.REDIS_URL = ""  # the embedded, in-process broker
    broker.reset_broker()
    try:
        assert broker.publish_now(1, {"type": "issued"}) is True
    finally:
        broker.reset_broker()
    assert not KeptLiveEvent.objects.exists()
