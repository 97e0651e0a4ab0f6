"""Customer guidance over HTTP, against ``onthaal serve --workers 2`` on the bench database:

* ticket creation (POST /api/v1/tickets/) with 8 concurrent clients: req/s and latency;
* call-next (POST /api/v1/desks/{id}/call-next/) with 8 clients calling at once, each for 25
  desks, the finishes timed apart: call-next and finish req/s, three runs of 2,400 tickets;
  every ticket called exactly once is checked;
* call → screen latency with 100, 500 and 2,000 screens connected to the event stream, from the
  instant the service announces the call to its arrival at each screen: p50/p99.

With two app processes the live events go through Redis (REDIS_URL, default
redis://127.0.0.1:6379/0), as in production. The goals of the issue: ≥ 3x FQM's 109 req/s for
ticket creation and ≥ 2x its 126 req/s for call-next; p99 < 100 ms at 500 screens and < 250 ms
at 2,000.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import itertools
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

CLIENTS = 8
TICKETS_PER_CLIENT = 100
DESKS_PER_CLIENT = 25  # call-next: each client serves this many desks
SCREENS = (100, 500, 2000)
CALLS_PER_SCREEN_RUN = 10
RUNS = 3
ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _server(redis_url: str, port: int | None = None) -> Iterator[int]:
    port = port or int(os.environ.get("BENCH_PORT", "0")) or _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        # The client's key: a session it made (the reporting benchmark's) is valid here.
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-not-secret"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The load comes from one address; it stands for many citizens.
        "ONTHAAL_BOOKINGS_PER_IP": "100000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "onthaal.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its worker processes go with it
    )
    try:
        deadline = time.monotonic() + 120  # a loaded machine starts slowly
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/api/v1/locations/")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(1)  # let the workers' database connections close


def _post(conn: http.client.HTTPConnection, path: str, token: str, body: Any = None) -> Any:
    payload = json.dumps(body or {})
    conn.request(
        "POST",
        path,
        body=payload,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = response.read()
    try:
        return response.status, (json.loads(data) if data else None)
    except ValueError:
        return response.status, data[:300]


def _setup() -> dict[str, Any]:
    from onthaal.accounts.models import Membership, Role
    from onthaal.accounts.services.tokens import token_create
    from onthaal.demo import zonnedoorn
    from onthaal.organisation.models import Desk
    from onthaal.queue import services
    from onthaal.queue.models import Queue

    zonnedoorn.load()
    queue = Queue.objects.select_related("location", "department").get(
        location__slug="administratief-centrum", prefix="B"
    )
    from django.contrib.auth import get_user_model

    users = get_user_model()
    reception = users.objects.get(username="onthaal")
    agents: list[list[tuple[int, str]]] = [[] for _ in range(CLIENTS)]
    for n in range(CLIENTS * DESKS_PER_CLIENT):
        desk = Desk.objects.create(location=queue.location, name=f"Benchbalie {n}")
        desk.departments.add(queue.department)
        queue.desks.add(desk)
        agent = users.objects.create_user(username=f"bench-agent-{n}")
        Membership.objects.create(user=agent, department=queue.department, role=Role.DESK_AGENT)
        services.open_desk(desk=desk, actor=agent)
        agents[n % CLIENTS].append((desk.pk, token_create(actor=None, user=agent, name="bench")[1]))
    return {
        "queue": queue,
        "reception": token_create(
            actor=None, user=reception, name=f"bench-{reception.api_tokens.count() + 1}"
        )[1],
        "agents": agents,
    }


def _analyze() -> None:
    """Statistics of the tickets as a live database has them: autovacuum analyses a table
    within a minute (its naptime) of that many changes, and the bench makes them faster. On a
    table never analysed, the planner reads the head of the queue through the index of the
    day's numbers instead of the partial index of the waiting tickets; call-next then slows as
    the day's tickets grow (310, 269, 236 req/s over three runs of 2,400 tickets)."""
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "queue_ticket"')
    connection.close()


def _run_clients(port: int, work: Any) -> tuple[float, list[float]]:
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
    barrier = threading.Barrier(CLIENTS + 1)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        barrier.wait()
        work(n, conn, latencies[n])
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - start, [v for per in latencies for v in per]


def _bench_create(port: int, setup: dict[str, Any]) -> tuple[float, float, float]:
    queue = setup["queue"]
    body = {"location": queue.location_id, "queue": queue.pk, "source": "reception"}

    def work(n: int, conn: http.client.HTTPConnection, out: list[float]) -> None:
        for _ in range(TICKETS_PER_CLIENT):
            t0 = time.perf_counter()
            status, _ = _post(conn, "/api/v1/tickets/", setup["reception"], body)
            out.append(time.perf_counter() - t0)
            assert status == 201, status

    elapsed, latencies = _run_clients(port, work)
    return len(latencies) / elapsed, _pct(latencies, 0.5) * 1000, _pct(latencies, 0.95) * 1000


def _bench_call_next(port: int, setup: dict[str, Any]) -> dict[str, Any]:
    """Call-next alone, as FQM's figure is measured: in each round every client calls next at
    each of its DESKS_PER_CLIENT desks in turn (timed); then, all its desks busy, it finishes
    their tickets (timed apart). Rounds go on until a round calls nobody."""
    called: list[int] = []
    lock = threading.Lock()
    call_seconds: list[float] = []
    finish_seconds: list[float] = []
    per_round: list[list[int]] = []  # [call-next requests, tickets called] per round
    latencies: list[float] = []
    barrier = threading.Barrier(CLIENTS)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for round_ in itertools.count():
            if n == 0:
                per_round.append([0, 0])
            barrier.wait()
            t0 = time.perf_counter()
            mine, requests, mine_latencies = [], 0, []
            for desk, token in setup["agents"][n]:
                s0 = time.perf_counter()
                status, body = _post(conn, f"/api/v1/desks/{desk}/call-next/", token)
                mine_latencies.append(time.perf_counter() - s0)
                requests += 1
                if status == 204:
                    break
                assert status == 200, (status, body)
                mine.append((desk, token, body["id"]))
            barrier.wait()
            t1 = time.perf_counter()
            for desk, token, ticket in mine:
                status, _ = _post(conn, f"/api/v1/tickets/{ticket}/finish/", token, {"desk": desk})
                assert status == 200, status
            with lock:
                called.extend(t for _, _, t in mine)
                latencies.extend(mine_latencies)
                per_round[round_][0] += requests
                per_round[round_][1] += len(mine)
            barrier.wait()
            if n == 0:
                call_seconds.append(t1 - t0)
                finish_seconds.append(time.perf_counter() - t1)
            barrier.wait()
            if per_round[round_][1] == 0:
                break
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(called) == len(set(called)), "a ticket was called twice"
    return {
        "call_rate": sum(r[0] for r in per_round) / sum(call_seconds),
        "finish_rate": sum(r[1] for r in per_round) / sum(finish_seconds),
        "p50": _pct(latencies, 0.5) * 1000,
        "p95": _pct(latencies, 0.95) * 1000,
        "called": len(called),
    }


async def _screen(port: int, location: int, arrivals: dict[str, list[float]], ready: Any) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write(
        f"GET /api/v1/locations/{location}/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    got_state = False
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            text = line.decode().strip()
            if text.startswith("event: state") and not got_state:
                got_state = True
                ready()
            elif text.startswith("data: ") and '"type": "called"' in text:
                now = time.time()
                event = json.loads(text[6:])
                arrivals.setdefault(event["code"], []).append(
                    now - dt.datetime.fromisoformat(event["at"]).timestamp()
                )
    finally:
        writer.close()


async def _screens_run(port: int, setup: dict[str, Any], count: int) -> list[float]:
    from asgiref.sync import sync_to_async

    location = setup["queue"].location_id
    arrivals: dict[str, list[float]] = {}
    connected = 0
    all_ready = asyncio.Event()

    def ready() -> None:
        nonlocal connected
        connected += 1
        if connected == count:
            all_ready.set()

    tasks = []
    for _ in range(count):
        tasks.append(asyncio.create_task(_screen(port, location, arrivals, ready)))
        await asyncio.sleep(0)
    await asyncio.wait_for(all_ready.wait(), timeout=120)
    await asyncio.sleep(1)

    def calls() -> None:
        queue = setup["queue"]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        desk, token = setup["agents"][0][0]
        body = {"location": queue.location_id, "queue": queue.pk, "source": "reception"}
        for _ in range(CALLS_PER_SCREEN_RUN):
            status, issued = _post(conn, "/api/v1/tickets/", setup["reception"], body)
            assert status == 201, (status, issued)
            status, called = _post(conn, f"/api/v1/desks/{desk}/call-next/", token)
            assert status == 200, (status, called)
            time.sleep(0.3)
            _post(conn, f"/api/v1/tickets/{called['id']}/finish/", token, {"desk": desk})

    await sync_to_async(calls, thread_sensitive=False)()
    await asyncio.sleep(1.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [v for per in arrivals.values() for v in per]
    expected = count * CALLS_PER_SCREEN_RUN
    if len(latencies) != expected:
        print(f"  warning: {len(latencies)} of {expected} call events arrived")
    return latencies


def main() -> None:
    if connection.vendor != "postgresql":
        print(
            "queue figures are measured on PostgreSQL with 2 app processes: "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/onthaal_bench make bench"
        )
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    setup = _setup()
    connection.close()  # the server processes use the database from here
    with _server(redis_url) as port:
        create = [_bench_create(port, setup) for _ in range(RUNS)]
        rates = [c[0] for c in create]
        print(
            f"ticket creation, {CLIENTS} clients, 2 app processes: "
            f"{statistics.median(rates):.0f} req/s (median of {RUNS}, min {min(rates):.0f}, "
            f"max {max(rates):.0f}); p50 {statistics.median(c[1] for c in create):.1f} ms, "
            f"p95 {statistics.median(c[2] for c in create):.1f} ms "
            f"[goal >= {3 * 109} req/s]"
        )
        from onthaal.queue.models import Ticket

        total = Ticket.objects.count()
        unique = Ticket.objects.values("service_day", "number").distinct().count()
        print(f"ticket numbers: {total} tickets, {unique} unique numbers")
        connection.close()
        runs = []
        for run in range(RUNS):
            if run:  # the queue again as the creations left it (not timed)
                for _ in range(RUNS):
                    _bench_create(port, setup)
            _analyze()
            runs.append(_bench_call_next(port, setup))
        rates = [c["call_rate"] for c in runs]
        finishes = [c["finish_rate"] for c in runs]
        print(
            f"call-next, {CLIENTS} clients at once ({DESKS_PER_CLIENT} desks each, finishes "
            f"timed apart): {statistics.median(rates):.0f} req/s (median of {RUNS}, "
            f"min {min(rates):.0f}, max {max(rates):.0f}); "
            f"p50 {statistics.median(c['p50'] for c in runs):.1f} ms, "
            f"p95 {statistics.median(c['p95'] for c in runs):.1f} ms; "
            f"{runs[0]['called']} tickets a run, each called exactly once "
            f"[goal >= {2 * 126} req/s]"
        )
        print(
            f"finish, {CLIENTS} clients at once: {statistics.median(finishes):.0f} req/s "
            f"(median of {RUNS}, min {min(finishes):.0f}, max {max(finishes):.0f})"
        )
        for count in SCREENS:
            lat = asyncio.run(_screens_run(port, setup, count))
            if lat:
                print(
                    f"call -> screen, {count} screens: p50 {_pct(lat, 0.5) * 1000:.1f} ms, "
                    f"p99 {_pct(lat, 0.99) * 1000:.1f} ms ({len(lat)} deliveries)"
                )
