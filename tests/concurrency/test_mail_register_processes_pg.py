"""Mail register numbers with two real app processes: ``onthaal serve`` started twice, each its
own process on its own port, both registering through the API at the same time (16 client
threads, 8 on each process, 50 registrations each). The numbers come from the counter row
locked in PostgreSQL, not from anything one process holds, so they stay gapless and unique per
organisation, direction and year across processes; each registration is one audit event.

In the middle, the same registration is sent to both processes at once with one
``Idempotency-Key`` (a double click whose two requests land on different processes): it is
registered once and both answers name the same number. Whichever request comes second either
finds the first item at once or fails at its insert after taking the next number; the
rollback gives that number back, so there is no hole either way."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from onthaal.accounts.models import Role
from onthaal.accounts.services import tokens
from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, staff
from onthaal.audit import selectors as audit_selectors
from onthaal.audit.models import AuditEvent
from onthaal.mail.models import Direction, DocumentType, MailItem, RegisterCounter
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

ROOT = Path(__file__).resolve().parents[2]
THREADS, EACH = 16, 50


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


@pytest.fixture
def app_processes(tmp_path: Path) -> Iterator[list[tuple[int, subprocess.Popen[bytes]]]]:
    """Two ``onthaal serve`` processes (one worker each) on the test database."""
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        ),
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "DB_POOL": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ONTHAAL_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("REDIS_URL", None)  # nothing shared between the processes but the database
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    started = []
    try:
        for _ in range(2):
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "onthaal.cli", "serve", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            started.append((port, process))
        deadline = time.monotonic() + 120
        while not all(_healthy(port) for port, _ in started):
            assert all(p.poll() is None for _, p in started), "an app process stopped"
            assert time.monotonic() < deadline, "the app processes did not start within 120 s"
            time.sleep(0.3)
        yield started
    finally:
        for _, process in started:
            _stop(process)


def _post(
    port: int, key: str, fields: dict[str, str], idempotency: str = ""
) -> tuple[int, dict[str, Any]]:
    """One registration on its own connection (a kept-alive one may be closed by the server
    while its thread waits)."""
    boundary = uuid.uuid4().hex
    body = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        + f"--{boundary}--\r\n"
    )
    headers = {
        "Authorization": f"Token {key}",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    if idempotency:
        headers["Idempotency-Key"] = idempotency
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/api/v1/mail/", body=body.encode(), headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_two_app_processes_registering_800_items_through_the_api_get_gapless_numbers(
    app_processes,
):
    department = DepartmentFactory(organisation=OrganisationFactory(), name="Burgerzaken")
    letter = DocumentType.objects.create(name="Brief", answer_days=30)
    lead = staff(Role.TEAM_LEAD, department)  # registers incoming and outgoing mail
    _, key = tokens.token_create(actor="test", user=lead, name="processes")
    ports = [port for port, _ in app_processes]
    answers: list[tuple[int, int, dict[str, Any]]] = []  # (thread, status, body)
    lock = threading.Lock()
    double = threading.Barrier(2)

    def send(port: int, n: int, i: int, idempotency: str = "", sender: int | None = None) -> None:
        fields = {
            "direction": Direction.IN if (n + i) % 2 == 0 else Direction.OUT,
            "department": str(department.pk),
            "informatieobjecttype": str(letter.pk),
            "subject": f"Brief {n}-{i}",
        }
        status, body = _post(port, key, fields, idempotency)
        with lock:
            answers.append((n if sender is None else sender, status, body))

    def work(n: int) -> None:
        port = ports[n % 2]  # threads 0, 2, 4, ... on the first process, 1, 3, ... on the other
        for i in range(EACH):
            if (n, i) == (3, 25):
                double.wait(timeout=120)  # with thread 4, on the other process
                send(port, n, i, idempotency="double-click")
                continue
            if (n, i) == (4, 25):
                # Once more, thread 3's registration, its key and all: a double click.
                double.wait(timeout=120)
                send(port, 3, 25, idempotency="double-click", sender=4)
            send(port, n, i)

    assert run_at_once(THREADS, work) == []
    assert all(p.poll() is None for _, p in app_processes)  # both served to the end
    assert [status for _, status, _ in answers] == [201] * (THREADS * EACH + 1)

    # The double click: registered once; both answers, from both processes, name it.
    twice = MailItem.objects.get(idempotency_key="double-click")
    assert twice.subject == "Brief 3-25"
    named = [n for n, _, body in answers if body["id"] == str(twice.public_id)]
    assert sorted(named) == [3, 4]
    assert {
        body["register_number"]
        for n, _, body in answers
        if n in (3, 4) and body["id"] == str(twice.public_id)
    } == {twice.register_number}

    items = MailItem.objects.all()
    assert items.count() == THREADS * EACH == 800
    assert len({body["id"] for _, _, body in answers}) == 800
    for direction, prefix in ((Direction.IN, "IN"), (Direction.OUT, "UIT")):
        mine = items.filter(direction=direction)
        sequences = sorted(mine.values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))  # no gap, no duplicate
        numbers = set(mine.values_list("register_number", flat=True))
        assert numbers == {f"{prefix}-{mine[0].year}-{s:06d}" for s in sequences}
        assert RegisterCounter.objects.get(direction=direction).last == len(sequences)
    # One event per registered item, written by the process that registered it.
    events = AuditEvent.objects.filter(object_type="mail.item", action="create")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        items.values_list("register_number", flat=True)
    )
    assert audit_selectors.verify().ok
