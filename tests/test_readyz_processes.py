"""/readyz and /metrics of real processes: ``onthaal serve --workers 2``, ``onthaal worker`` and
a Redis server of the test's own (started and killed here, never the shared one).

* /readyz turns unready within 5 s when the worker stops or Redis goes away, naming the failing
  check, and ready again once they are back;
* /metrics sums the two app processes (prometheus_client's multiprocess mode): however the
  requests were spread, every scrape counts all of them."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("readyz")]

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_for(predicate: Callable[[], bool], seconds: float, step: float = 0.1) -> float:
    """Seconds until ``predicate()`` held; fails after ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if predicate():
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(step)
    raise AssertionError(f"not within {seconds} s")


class Redis:
    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

        def answers() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        _wait_for(answers, 20)

    def kill(self) -> None:
        assert self.process is not None
        _stop(self.process, signal.SIGKILL)


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            _stop(server.process, signal.SIGKILL)


@pytest.fixture
def install(tmp_path: Path, redis: Redis) -> Iterator[dict[str, Any]]:
    data = tmp_path / "data"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "DB_POOL": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ONTHAAL_DATA_DIR": str(data),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = _free_port()
    processes: list[subprocess.Popen[bytes]] = []

    def start(*command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "onthaal.cli", *command],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        processes.append(process)
        return process

    start("serve", "--port", str(port), "--workers", "2")
    try:
        _wait_for(lambda: _get(port, "/healthz")[0] == 200, 90, step=0.3)
        yield {"port": port, "start": start, "data": data}
    finally:
        for process in processes:
            _stop(process)


def _ready(port: int) -> tuple[int, dict[str, Any]]:
    status, body = _get(port, "/readyz")
    return status, json.loads(body)


def test_readyz_follows_the_worker_and_redis_within_5_seconds(install, redis) -> None:
    port = install["port"]
    worker = install["start"]("worker")
    _wait_for(lambda: _ready(port)[0] == 200, 90, step=0.3)

    # The worker stops: unready within 5 s, naming it.
    _stop(worker, signal.SIGKILL)
    took = _wait_for(lambda: _ready(port)[0] == 503, 10)
    assert took <= 5, took
    status, body = _ready(port)
    assert (status, body["status"], body["failing"]) == (503, "unready", ["worker"])

    install["start"]("worker")
    _wait_for(lambda: _ready(port)[0] == 200, 90, step=0.3)

    # Redis goes away: unready within 5 s, naming it; ready again when it is back.
    redis.kill()
    took = _wait_for(lambda: _ready(port)[0] == 503, 10)
    assert took <= 5, took
    assert _ready(port)[1]["failing"] == ["redis"]
    assert _ready(port)[1]["checks"]["redis"] == {"ok": False, "detail": "Redis does not answer"}
    redis.start()
    took = _wait_for(lambda: _ready(port)[0] == 200, 10)
    assert took <= 5, took


def _counter(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_metrics_sum_both_app_processes(install) -> None:
    port = install["port"]
    status, before = _get(port, "/metrics")
    assert status == 200
    for _ in range(20):
        assert _get(port, "/locations/")[0] == 200
    scrapes = [_get(port, "/metrics")[1].decode() for _ in range(6)]  # from either process

    start = _counter(before.decode(), "onthaal_http_requests_total", view="hours:index")
    for text in scrapes:
        assert _counter(text, "onthaal_http_requests_total", view="hours:index") - start == 20
        assert (
            _counter(text, "onthaal_http_request_duration_seconds_count", view="hours:index")
            - _counter(
                before.decode(), "onthaal_http_request_duration_seconds_count", view="hours:index"
            )
            == 20
        )
    # Each app process counts into a file of its own in the install's metrics directory.
    pids = {path.stem.rpartition("_")[2] for path in (install["data"] / "metrics").glob("*.db")}
    assert len(pids) >= 2, pids
