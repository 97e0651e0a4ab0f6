"""The load generator of the booking rush (``bench_rush``), in a process of its own so that
its work does not share the measured processes' time slices with the server's Python.

    python bench/rush_client.py PORT CLIENTS TAG START [START ...]

Each client fetches a proof-of-work challenge and solves it (a citizen's browser does this
before it submits; it is not measured), opens its connection, and waits. Then all clients
send their booking at the same instant (asyncio, one event loop: 200 open sockets cost the
generator little) for the START ``n % len(STARTS)``, as citizen ``n`` with an address of its own
(``rush<n>-<TAG>@example.org``: a run's tag keeps the per-contact limit, which outlives the
throw-away database in Redis, from counting earlier runs). Printed on stdout, one JSON object:
``{"results": [[status, seconds], ...], "wall": seconds}``, seconds from the instant the
request was written to the last byte of the answer.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from typing import Any

from altcha import v1 as altcha

PRODUCT = "reispas-afhalen"
LOCATION = "administratief-centrum"


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


def _request(method: str, path: str, port: int, body: bytes = b"") -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Accept: application/json",
        "Connection: close" if method == "GET" else "Connection: keep-alive",
    ]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _solve(made: dict[str, Any]) -> str:
    found = altcha.solve_challenge(
        made["challenge"], made["salt"], made["algorithm"], made["maxNumber"]
    )
    if found is None:
        raise ValueError("no number solves this challenge")
    payload = {k: made[k] for k in ("algorithm", "challenge", "salt", "signature")}
    return base64.b64encode(json.dumps({**payload, "number": found.number}).encode()).decode()


async def _prepare(port: int, n: int, tag: str, start: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    status, body = await _exchange(
        reader, writer, _request("GET", "/api/v1/appointments/challenge/", port)
    )
    writer.close()
    if status != 200:
        raise RuntimeError(f"challenge: {status} {body[:200]!r}")
    booking = {
        "product": [PRODUCT],
        "location": LOCATION,
        "start": start,
        "name": f"Rush {n}",
        "email": f"rush{n}-{tag}@example.org",
        "altcha": _solve(json.loads(body)),
    }
    return _request("POST", "/api/v1/appointments/", port, json.dumps(booking).encode())


async def _book(
    port: int, request: bytes, go: asyncio.Event, results: list[tuple[int, float]]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await go.wait()
    t0 = time.perf_counter()
    try:
        status, _ = await _exchange(reader, writer, request)
    except (OSError, asyncio.IncompleteReadError):
        status = 0  # the connection broke: counted apart, never as a booking
    results.append((status, time.perf_counter() - t0))
    writer.close()


async def main(port: int, clients: int, tag: str, starts: list[str]) -> dict[str, Any]:
    requests = [await _prepare(port, n, tag, starts[n % len(starts)]) for n in range(clients)]
    go = asyncio.Event()
    results: list[tuple[int, float]] = []
    tasks = [asyncio.create_task(_book(port, r, go, results)) for r in requests]
    await asyncio.sleep(0.5)  # every connection open and waiting
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return {"results": results, "wall": time.perf_counter() - t0}


if __name__ == "__main__":
    port, clients, tag, *starts = sys.argv[1:]
    print(json.dumps(asyncio.run(main(int(port), int(clients), tag, starts))))
