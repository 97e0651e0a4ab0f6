"""The attack review's load as one script: 20 clients for 30 s against ``onthaal serve --workers
2`` and the worker (PostgreSQL and Redis, as a server install), with ``kill -9`` of one app
process at 10 s and of the worker at 20 s (the app server starts a new process by itself; the
worker is started again, as systemd would). The clients run in threads of this process, the
server and the worker in processes of their own:

* 10 clients issue tickets (POST /api/v1/tickets/) as a reception would;
* 4 clients book appointments (GET the challenge, solve it, POST /api/v1/appointments/), each at
  its own times, as citizens would;
* 6 clients are desks: call-next, then finish, over and over.

Afterwards it checks against the database what an outsider can hold the server to: every ticket
and booking that was acknowledged (201) is there with the number it was given, no number was
given twice, no ticket was called twice, no desk has two overlapping bookings, `onthaal audit
verify` finds the chains intact against the worker's anchors, and every booking's confirmation
reached the mail server (at most the message in flight at the worker's
kill twice). Requests cut off by the kill count as errors, not as losses: they were never
acknowledged. The figures are printed; a broken guarantee raises.
"""

from __future__ import annotations

import datetime as dt
import email
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from typing import Any

from django.db import connection

from bench.bench_queue import ROOT, _database_url, _free_port, _post, _server

SECONDS = 30
KILL_APP_AT = 10
KILL_WORKER_AT = 20
TICKET_CLIENTS = 10
BOOKING_CLIENTS = 4
DESK_CLIENTS = 6


def _children(pid: int) -> list[int]:
    """The app processes under uvicorn's supervisor (not multiprocessing's resource tracker)."""
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    pids = []
    for child in out.split():
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"spawn_main" in f.read():
                    pids.append(int(child))
        except OSError:
            pass
    return sorted(pids)


def _serve_pid(port: int) -> int:
    """The uvicorn supervisor listening on the port (the session leader _server started)."""
    out = subprocess.run(
        ["pgrep", "-f", f"onthaal.cli serve --port {port}"], capture_output=True, text=True
    ).stdout
    return min(int(p) for p in out.split())


# The worker's data dir: it writes the audit anchors there, which `audit verify` checks.
WORKER_DATA_DIR = tempfile.mkdtemp(prefix="onthaal-bench-worker-")


def _worker(smtp_port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "bench-only-not-secret",
        "DEBUG": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "ONTHAAL_OUTBOX_SECONDS": "0.2",
        "ONTHAAL_OUTBOX_CLAIM_SECONDS": "2",
        "ONTHAAL_DATA_DIR": WORKER_DATA_DIR,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "onthaal.cli", "worker", "--interval", "0.5"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _setup() -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.services.tokens import token_create
    from onthaal.appointments import services as booking_services
    from onthaal.catalogue.models import Product
    from onthaal.core import clock
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Desk, Location
    from onthaal.queue import services
    from onthaal.queue.models import Queue

    zonnedoorn.load()
    queue = Queue.objects.select_related("location", "department").get(
        location__slug="administratief-centrum", prefix="B"
    )
    users = get_user_model()
    desks = []
    for n in range(DESK_CLIENTS):
        desk = Desk.objects.create(location=queue.location, name=f"Crashbalie {n}")
        desk.departments.add(queue.department)
        queue.desks.add(desk)
        agent = users.objects.create_user(username=f"crash-agent-{n}")
        Membership.objects.create(user=agent, department=queue.department, role=Role.DESK_AGENT)
        services.open_desk(desk=desk, actor=agent)
        desks.append((desk.pk, token_create(actor=None, user=agent, name="crash")[1]))
    reception = users.objects.get(username="onthaal")
    location = Location.objects.get(slug="administratief-centrum")
    booking = booking_services.build_request(
        location=location, products=[Product.objects.get(slug="reispas-afhalen")]
    )
    day = clock.today() + dt.timedelta(days=7)
    times = sorted(
        {s.start for s in booking_services.availability(booking, day, day + dt.timedelta(days=21))}
    )
    return {
        "queue": queue,
        "reception": token_create(actor=None, user=reception, name="crash-reception")[1],
        "desks": desks,
        # Each booking client has its own times: a 409 would be contention, not the kill.
        "times": [times[n::BOOKING_CLIENTS] for n in range(BOOKING_CLIENTS)],
    }


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tickets: dict[int, str] = {}  # acknowledged id -> code
        self.bookings: list[str] = []  # acknowledged references
        self.called: list[int] = []  # ticket ids acknowledged as called
        self.errors: Counter[str] = Counter()

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


def _connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def _ticket_client(port: int, setup: dict[str, Any], tally: Tally, stop: float) -> None:
    queue = setup["queue"]
    body = {"location": queue.location_id, "queue": queue.pk, "source": "reception"}
    conn = _connect(port)
    while time.monotonic() < stop:
        try:
            status, data = _post(conn, "/api/v1/tickets/", setup["reception"], body)
        except (OSError, http.client.HTTPException):
            tally.error("ticket: connection cut")
            conn.close()
            conn = _connect(port)
            continue
        if status == 201:
            with tally.lock:
                tally.tickets[data["id"]] = data["code"]
        else:
            tally.error(f"ticket: {status}")
    conn.close()


def _booking_client(n: int, port: int, setup: dict[str, Any], tally: Tally, stop: float) -> None:
    from onthaal.appointments import proof
    from onthaal.core import clock

    times = list(setup["times"][n])
    while time.monotonic() < stop and times:
        try:
            conn = _connect(port)
            conn.request("GET", "/api/v1/appointments/challenge/")
            challenge = json.loads(conn.getresponse().read())
            conn.close()
            start = times.pop(0)
            body = json.dumps(
                {
                    "product": ["reispas-afhalen"],
                    "location": "administratief-centrum",
                    "start": start.astimezone(clock.BRUSSELS).isoformat(),
                    "name": f"Crash {n}",
                    "email": f"crash{n}-{len(times)}@example.org",
                    "altcha": proof.solve(challenge),
                }
            )
            conn = _connect(port)
            conn.request(
                "POST",
                "/api/v1/appointments/",
                body=body,
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except (OSError, http.client.HTTPException, ValueError):
            tally.error("booking: connection cut")
            continue
        if response.status == 201:
            with tally.lock:
                tally.bookings.append(json.loads(data)["appointment"]["reference"])
        else:
            tally.error(f"booking: {response.status}")


def _desk_client(n: int, port: int, setup: dict[str, Any], tally: Tally, stop: float) -> None:
    desk, token = setup["desks"][n]
    conn = _connect(port)
    current: int | None = None
    while time.monotonic() < stop:
        try:
            if current is not None:
                status, _ = _post(conn, f"/api/v1/tickets/{current}/finish/", token, {"desk": desk})
                if status not in (200, 409):
                    tally.error(f"finish: {status}")
                current = None
                continue
            status, data = _post(conn, f"/api/v1/desks/{desk}/call-next/", token)
        except (OSError, http.client.HTTPException):
            tally.error("desk: connection cut")
            conn.close()
            conn = _connect(port)
            # A cut-off call may have called someone: the desk asks the server what it holds
            # by calling again (a desk with a visitor gets 409 and finishes them first).
            continue
        if status == 200:
            with tally.lock:
                tally.called.append(data["id"])
            current = data["id"]
        elif status == 204:
            time.sleep(0.05)
        elif status == 409 and data and data.get("code") == "desk_busy":
            # The call cut off by the kill did call someone: the desk's page shows them (here:
            # the database), and the agent finishes them. Not an acknowledged call.
            current = _at_desk(desk)
            tally.error("desk: visitor found at the desk after a cut")
        else:
            tally.error(f"call-next: {status}")
    conn.close()


def _at_desk(desk: int) -> int | None:
    from onthaal.queue.models import Status, Ticket

    pk = (
        Ticket.objects.filter(desk_id=desk, status__in=[Status.CALLED, Status.SERVING])
        .values_list("pk", flat=True)
        .first()
    )
    connection.close()
    return pk


def _smtp() -> tuple[Any, list[str], int]:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines

    received: list[str] = []
    lock = threading.Lock()

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd)
            message = email.message_from_bytes(envelope.content)
            with lock:
                received.append(str(message["Message-ID"]))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, received, port


def main() -> None:
    if connection.vendor != "postgresql":
        print("the kill -9 load runs against a server install: set DATABASE_URL to PostgreSQL")
        return
    setup = _setup()
    connection.close()
    controller, received, smtp_port = _smtp()
    tally = Tally()
    worker = _worker(smtp_port)
    port = _free_port()
    try:
        with _server("redis://127.0.0.1:6379/0", port=port):
            supervisor = _serve_pid(port)
            before = _children(supervisor)
            begin = time.monotonic()
            stop = begin + SECONDS
            threads = [
                threading.Thread(target=_ticket_client, args=(port, setup, tally, stop))
                for _ in range(TICKET_CLIENTS)
            ]
            threads += [
                threading.Thread(target=_booking_client, args=(n, port, setup, tally, stop))
                for n in range(BOOKING_CLIENTS)
            ]
            threads += [
                threading.Thread(target=_desk_client, args=(n, port, setup, tally, stop))
                for n in range(DESK_CLIENTS)
            ]
            for t in threads:
                t.start()
            time.sleep(max(0.0, begin + KILL_APP_AT - time.monotonic()))
            victim = before[0]
            os.kill(victim, signal.SIGKILL)
            time.sleep(max(0.0, begin + KILL_WORKER_AT - time.monotonic()))
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            worker = _worker(smtp_port)
            for t in threads:
                t.join()
            after = _children(supervisor)
        # The outbox drains after the load: every acknowledged booking's confirmation.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _pending_confirmations():
            time.sleep(0.5)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        controller.stop()
    _check(setup, tally, received, victim, before, after)


def _audit_verify() -> tuple[bool, str]:
    """`onthaal audit verify` as an operator runs it, against the worker's anchors."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "bench-only-not-secret",
        "ONTHAAL_DATA_DIR": WORKER_DATA_DIR,
    }
    done = subprocess.run(
        [sys.executable, "-m", "onthaal.cli", "audit", "verify"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()[-1]


def _pending_confirmations() -> int:
    from onthaal.appointments.models import Notification

    n = Notification.objects.filter(
        kind=Notification.Kind.CONFIRMATION,
        status__in=[Notification.State.PENDING, Notification.State.SENDING],
    ).count()
    connection.close()
    return n


def _check(
    setup: dict[str, Any],
    tally: Tally,
    received: list[str],
    victim: int,
    before: list[int],
    after: list[int],
) -> None:
    from onthaal.appointments.models import Appointment, Notification
    from onthaal.queue.models import Ticket

    stored = dict(Ticket.objects.filter(pk__in=tally.tickets).values_list("pk", "code"))
    lost_tickets = [pk for pk, code in tally.tickets.items() if stored.get(pk) != code]
    codes = Counter(Ticket.objects.filter(queue=setup["queue"]).values_list("code", flat=True))
    duplicate_numbers = sum(c - 1 for c in codes.values() if c > 1)
    booked = set(
        Appointment.objects.filter(reference__in=tally.bookings).values_list("reference", flat=True)
    )
    lost_bookings = [r for r in tally.bookings if r not in booked]
    called_twice = sum(c - 1 for c in Counter(tally.called).values() if c > 1)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
               ON a.desk_id = b.desk_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
               WHERE a.status = 'booked' AND b.status = 'booked'"""
        )
        overlaps = cursor.fetchone()[0]
    confirmations = Notification.objects.filter(
        kind=Notification.Kind.CONFIRMATION, appointment__reference__in=tally.bookings
    )
    unsent = confirmations.exclude(status=Notification.State.SENT).count()
    twice = sum(c - 1 for c in Counter(received).values() if c > 1)
    intact, verdict = _audit_verify()
    print(
        f"load: {TICKET_CLIENTS + BOOKING_CLIENTS + DESK_CLIENTS} clients for {SECONDS} s, "
        f"kill -9 of app process {victim} at {KILL_APP_AT} s (processes before {before}, "
        f"after {after}) and of the worker at {KILL_WORKER_AT} s"
    )
    print(
        f"acknowledged: {len(tally.tickets)} tickets, {len(tally.bookings)} bookings, "
        f"{len(tally.called)} calls; errors: {dict(tally.errors) or 'none'}"
    )
    print(
        f"lost: {len(lost_tickets)} tickets, {len(lost_bookings)} bookings; duplicate numbers: "
        f"{duplicate_numbers}; tickets called twice: {called_twice}; overlapping bookings: "
        f"{overlaps}; confirmations not sent: {unsent} of {confirmations.count()}, "
        f"received twice: {twice}"
    )
    print(f"audit verify: {verdict}")
    problems = {
        "lost tickets": len(lost_tickets),
        "lost bookings": len(lost_bookings),
        "duplicate numbers": duplicate_numbers,
        "tickets called twice": called_twice,
        "overlapping bookings": overlaps,
        "confirmations not sent": unsent,
        "messages received more than once beyond the one in flight": max(0, twice - 1),
        "app process not replaced": 0 if len(after) == len(before) else 1,
        "audit chain not intact": 0 if intact else 1,
    }
    broken = {k: v for k, v in problems.items() if v}
    if broken:
        raise AssertionError(f"the load broke a guarantee: {broken}")
