"""An outside load generator: its own process, HTTP/1.1 keep-alive connections over raw
sockets (asyncio, uvloop when installed), no Django. ``bench_outside`` starts it once per run:

    python bench/loadgen.py < plan.json > result.json

The plan: ``{"port": 8000, "seconds": 10, "groups": [{"kind": ..., "connections": 8, ...}]}``.
Kinds:

* ``get`` — ``path`` again and again;
* ``post`` — ``path`` with ``body`` (JSON) and ``token``;
* ``call`` — call-next alone: each connection has ``desks`` ([[id, token], ...]); it calls next
  at each in turn (timed), then, all of them busy, finishes their tickets (not timed); all
  connections call and finish together (a barrier), as FQM's figure is taken;
* ``cycle`` — one desk per connection (``desks``): call next, finish, again.

Every group runs for ``seconds`` at the same time; the result per group: requests, timed
seconds, rate, p50/p99 in ms, the answers' statuses, and for ``call`` and ``cycle`` the ids of
the tickets called more than once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def _raw(method: str, path: str, token: str = "", body: Any = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Token {token}")
    if method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.timed = 0.0  # seconds counted (call: the call phases only)
        self.called: list[int] = []

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


async def _repeat(port: int, raw: bytes, until: float, tally: Tally) -> None:
    conn = Connection(port)
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            status, _ = await conn.request(raw)
            tally.add(status, time.perf_counter() - t0)
    finally:
        conn.close()


async def _cycle(port: int, desk: list[Any], until: float, tally: Tally) -> None:
    desk_id, token = desk
    conn = Connection(port)
    call = _raw("POST", f"/api/v1/desks/{desk_id}/call-next/", token, {})
    try:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            status, body = await conn.request(call)
            tally.add(status, time.perf_counter() - t0)
            if status != 200:
                await asyncio.sleep(0.01)
                continue
            ticket = json.loads(body)["id"]
            tally.called.append(ticket)
            raw = _raw("POST", f"/api/v1/tickets/{ticket}/finish/", token, {"desk": desk_id})
            status, _ = await conn.request(raw)
            tally.statuses[1000 + status] = tally.statuses.get(1000 + status, 0) + 1
    finally:
        conn.close()


async def _call_alone(
    port: int,
    desks: list[list[Any]],
    until: float,
    tally: Tally,
    barrier: asyncio.Barrier,
    clock: bool,
) -> None:
    """In rounds: call next at each desk in turn (timed, by the ``clock`` connection: all call
    at the same time), then finish them all (not timed)."""
    conn = Connection(port)
    try:
        while True:
            await barrier.wait()
            stop = time.perf_counter() >= until
            await barrier.wait()  # every connection saw the same clock
            if stop:
                return
            t0 = time.perf_counter()
            mine = []
            for desk_id, token in desks:
                s0 = time.perf_counter()
                status, body = await conn.request(
                    _raw("POST", f"/api/v1/desks/{desk_id}/call-next/", token, {})
                )
                tally.add(status, time.perf_counter() - s0)
                if status == 200:
                    mine.append((desk_id, token, json.loads(body)["id"]))
            await barrier.wait()
            if clock:
                tally.timed += time.perf_counter() - t0
            tally.called.extend(t for _, _, t in mine)
            for desk_id, token, ticket in mine:
                raw = _raw("POST", f"/api/v1/tickets/{ticket}/finish/", token, {"desk": desk_id})
                status, _ = await conn.request(raw)
                tally.statuses[1000 + status] = tally.statuses.get(1000 + status, 0) + 1
    finally:
        conn.close()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(plan: dict[str, Any]) -> list[dict[str, Any]]:
    port, seconds = int(plan["port"]), float(plan["seconds"])
    tallies: list[Tally] = []
    tasks = []
    start = time.perf_counter()
    until = start + seconds
    for group in plan["groups"]:
        tally = Tally()
        tallies.append(tally)
        kind, n = group["kind"], int(group["connections"])
        if kind in ("get", "post"):
            raw = _raw(kind.upper(), group["path"], group.get("token", ""), group.get("body"))
            tasks += [_repeat(port, raw, until, tally) for _ in range(n)]
        elif kind == "cycle":
            tasks += [_cycle(port, group["desks"][i], until, tally) for i in range(n)]
        elif kind == "call":
            barrier = asyncio.Barrier(n)
            tasks += [
                _call_alone(port, group["desks"][i], until, tally, barrier, i == 0)
                for i in range(n)
            ]
        else:
            raise ValueError(kind)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    out = []
    for group, tally in zip(plan["groups"], tallies, strict=True):
        timed = tally.timed if group["kind"] == "call" else elapsed
        called = tally.called
        out.append(
            {
                "name": group.get("name", group["kind"]),
                "requests": len(tally.latencies),
                "seconds": timed,
                "rate": len(tally.latencies) / timed if timed else 0.0,
                "p50_ms": _pct(tally.latencies, 0.5) * 1000,
                "p99_ms": _pct(tally.latencies, 0.99) * 1000,
                "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
                "called": len(called),
                "called_twice": len(called) - len(set(called)),
            }
        )
    return out


def main() -> None:
    plan = json.load(sys.stdin)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    json.dump(asyncio.run(run(plan)), sys.stdout)


if __name__ == "__main__":
    main()
