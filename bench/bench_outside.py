"""Customer guidance measured from outside, the way issue #18 measured FQM beside Onthaal.

The server runs as it is installed — ``onthaal serve --workers 2`` with Redis on PostgreSQL
(when DATABASE_URL is set; Redis at REDIS_URL, default redis://127.0.0.1:6379/0), or the
embedded default's one process on SQLite — and the load comes from another process
(``bench/loadgen.py``: raw HTTP/1.1 keep-alive sockets, no Django), 10 s per figure, the
figures interleaved over 3 rounds, medians with their range. A bare WSGI "hello" on the same
server set-up (uvicorn, the same thread pool, the same worker count) is the ceiling each
figure is also given as a share of. The machine's load average is printed with each round: on
a shared machine the absolute figures vary; compare within a run.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = 8
# BENCH_FIGURES=create,call: only those (to compare two versions quickly); default all.
FIGURES = os.environ.get("BENCH_FIGURES", "") or "hello,create,call,cycle,display,display_busy"

# FQM (Flask, gunicorn -w 2, SQLite, its Redis cache), measured from outside on the same kind of
# 2-core machine (issue #18): median and range.
FQM = {
    "create": (104, "99-125"),
    "call": (168, "156-176; 159-195 tickets called twice"),
    "display": (1306, "1,232-1,554; p99 18 ms"),
    "display_busy": (178, "164-181"),
    "hello": (4048, "3,776-4,115; gunicorn -w 2"),
}
GOALS = {
    "create": ">= 375 req/s",
    "call": ">= 350 req/s, 0 called twice",
    "cycle": "not half the call rate",
    "display": ">= 1,500 req/s, p99 < 20 ms",
    "display_busy": ">= 1,000 req/s",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


@contextmanager
def _process(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[int]:
    process = subprocess.Popen(
        command,
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
                c.request("GET", probe)
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{command[2:4]} did not start")
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _env(redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-not-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ONTHAAL_BOOKINGS_PER_IP": "100000",  # the load comes from one address
        # This checkout's code (the venv's editable install may point at another worktree).
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    if not redis_url:
        env.pop("REDIS_URL")
    return env


def _load(port: int, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plan = json.dumps({"port": port, "seconds": SECONDS, "groups": groups})
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "loadgen.py")],
        input=plan,
        capture_output=True,
        text=True,
        check=True,
        timeout=SECONDS * 6 + 60,
    )
    return list(json.loads(done.stdout))


def _top_up(setup: dict[str, Any], wanted: int) -> None:
    """At least ``wanted`` tickets waiting (created here, not timed)."""
    from onthaal.queue import services
    from onthaal.queue.models import Source, Status, Ticket

    queue = setup["queue"]
    waiting = Ticket.objects.filter(queue=queue, status=Status.WAITING).count()
    for _ in range(max(0, wanted - waiting)):
        services.issue_ticket(
            location=queue.location,
            queue=queue,
            products=[],
            source=Source.RECEPTION,
            actor=setup["reception_user"],
            check_hours=False,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would have (see bench_queue)
            cursor.execute('ANALYZE "queue_ticket"')
    connection.close()


def _round(port: int, hello: int, setup: dict[str, Any]) -> dict[str, dict[str, Any]]:
    queue = setup["queue"]
    create = {
        "kind": "post",
        "path": "/api/v1/tickets/",
        "token": setup["reception"],
        "body": {"location": queue.location_id, "queue": queue.pk, "source": "reception"},
    }
    display = {"kind": "get", "path": f"/api/v1/locations/{queue.location_id}/display/"}
    out: dict[str, dict[str, Any]] = {}
    if "hello" in FIGURES:
        out["hello"] = _load(hello, [{"kind": "get", "path": "/", "connections": CONNECTIONS}])[0]
    if "create" in FIGURES:
        out["create"] = _load(port, [{**create, "connections": CONNECTIONS}])[0]
    if "display" in FIGURES:
        out["display"] = _load(port, [{**display, "connections": 16}])[0]
    if "display_busy" in FIGURES:
        busy = _load(port, [{**display, "connections": 16}, {**create, "connections": 2}])
        out["display_busy"], out["create_c2"] = busy
    expected = max(out.get("create", {}).get("rate", 0), 100) * SECONDS * 1.5
    if "call" in FIGURES:
        _top_up(setup, int(expected))
        group = {"kind": "call", "connections": CONNECTIONS, "desks": setup["agents"]}
        out["call"] = _load(port, [group])[0]
    if "cycle" in FIGURES:
        _top_up(setup, int(expected / 2))
        cycle_desks = [desks[0] for desks in setup["agents"]]
        group = {"kind": "cycle", "connections": CONNECTIONS, "desks": cycle_desks}
        out["cycle"] = _load(port, [group])[0]
    return out


LABELS = {
    "create": "ticket creation, c=8",
    "call": "call-next alone, 8 connections x 25 desks",
    "cycle": "call + finish cycle, 8 desks (calls/s)",
    "display": "display read, c=16, idle",
    "display_busy": "display read, c=16, while tickets are created at c=2",
    "create_c2": "  (ticket creation at c=2 meanwhile)",
    "hello": 'bare WSGI "hello", same server set-up, c=8',
}


def _report(rounds: list[dict[str, dict[str, Any]]]) -> None:
    hello = statistics.median(r["hello"]["rate"] for r in rounds) if "hello" in FIGURES else 0
    for key, label in LABELS.items():
        if key not in rounds[0]:
            continue
        results = [r[key] for r in rounds]
        rates = [x["rate"] for x in results]
        rate = statistics.median(rates)
        p99 = statistics.median(x["p99_ms"] for x in results)
        p50 = statistics.median(x["p50_ms"] for x in results)
        line = (
            f"{label}: {rate:,.0f} req/s (median of {len(rates)}, {min(rates):,.0f}-"
            f"{max(rates):,.0f}), p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
        if key != "hello" and hello:
            line += f"; {rate / hello:.0%} of hello"
        if key in FQM:
            ref, spread = FQM[key]
            line += f"; FQM {ref:,} ({spread}): x{rate / ref:.2f}"
        if key in ("call", "cycle"):
            twice = sum(x["called_twice"] for x in results)
            called = sum(x["called"] for x in results)
            line += f"; {called} tickets called, {twice} called twice"
        if key in GOALS:
            line += f" [goal {GOALS[key]}]"
        others = {
            k: v for x in results for k, v in x["statuses"].items() if k not in ("200", "201")
        }
        if others:
            line += f" (other answers: {others})"
        print(line, flush=True)


def main() -> None:
    from django.contrib.auth import get_user_model

    from bench.bench_queue import _setup

    postgres = connection.vendor == "postgresql"
    redis_url = (os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0") if postgres else ""
    workers = "2" if postgres else "1"
    setup = _setup()
    setup["reception_user"] = get_user_model().objects.get(username="onthaal")
    _top_up(setup, 0)
    print(
        f"server: onthaal serve --workers {workers}, "
        + ("PostgreSQL + Redis" if postgres else "SQLite, in-process cache (the embedded default)")
        + f"; load from another process, {SECONDS:.0f} s per figure, {ROUNDS} rounds interleaved"
    )
    port, hello_port = _free_port(), _free_port()
    env = _env(redis_url)
    serve = [sys.executable, "-m", "onthaal.cli", "serve", "--port", str(port)]
    serve += ["--workers", workers]
    measure = os.environ.get("BENCH_MEASURE", "")
    if measure:  # the same server, each Django request measured inside (bench/measured_asgi.py)
        Path(measure).mkdir(parents=True, exist_ok=True)
        serve = [sys.executable, "-m", "uvicorn", "bench.measured_asgi:application", "--port"]
        serve += [str(port), "--workers", workers, "--lifespan", "off", "--no-access-log"]
        env = {**env, "ONTHAAL_APP_PROCESSES": workers}
        if workers != "1":
            env["UV_TCP_SINGLE_ACCEPT"] = "1"
    hello = [sys.executable, "-m", "uvicorn", "bench.hello_asgi:application", "--port"]
    hello += [str(hello_port), "--workers", workers, "--lifespan", "off", "--no-access-log"]
    hello += ["--log-level", "warning"]
    hello_env = {**env, "UV_TCP_SINGLE_ACCEPT": "1"} if workers != "1" else env
    rounds = []
    with (
        _process(serve, env, port, "/api/v1/locations/"),
        _process(hello, hello_env, hello_port, "/"),
    ):
        for n in range(ROUNDS):
            load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            print(f"round {n + 1}: load average before {load}", flush=True)
            rounds.append(_round(port, hello_port, setup))
    _report(rounds)
    if measure:
        inside(Path(measure))


def inside(where: Path, *, top: int = 20) -> None:
    """What bench/measured_asgi.py saw inside the app processes, per request (and the wait for
    the day's lock, where it measured one: the booking rush)."""
    import pstats

    totals: dict[str, dict[str, float]] = {}
    for path in where.glob("*.json"):
        for kind, t in json.loads(path.read_text()).items():
            into = totals.setdefault(kind, dict.fromkeys(t, 0.0))
            for k, v in t.items():
                into[k] += v
    print("inside the app processes, per Django request (ms):")
    for kind, t in sorted(totals.items()):
        n = t["n"] or 1
        wall, cpu, db = (t[k] / n * 1000 for k in ("wall", "cpu", "db"))
        lock = f"; waiting for the day's lock {t['lock'] / n * 1000:.2f}" if "lock" in t else ""
        print(
            f"  {kind}: {int(t['n'])} requests; wall {wall:.2f}, CPU of the thread {cpu:.2f}, "
            f"in database statements {db:.2f} ({t['statements'] / n:.1f} statements{lock}), "
            f"not running (database server, locks, the GIL) {max(0.0, wall - cpu):.2f}"
        )
    profiles = [str(p) for p in where.glob("*.prof")]
    if profiles:
        print(f"cProfile of the request threads, by own time (top {top}):")
        stats = pstats.Stats(*profiles, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(top)
