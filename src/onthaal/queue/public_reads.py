"""The public reads that screens and phones repeat, answered in the event loop from the cache.

``onthaal.asgi`` routes ``GET /api/v1/locations/{id}/display/`` (a screen polling while its
live stream is down) and ``GET /ticket/{status id}/status.json`` (a citizen's phone) here. The
first request of a kind goes through Django as any other, and its answer (status 200, headers
and body, without a cookie) is kept under the location's version (``snapshots``) and what
chose it: the host, scheme, query, ``Accept``, ``Accept-Language`` and the language cookie.
Until a write at the location gives it a new version (``broker.publish``, after the commit),
the same request is answered with those bytes and a request id of its own, without a thread,
a database connection or Django's middleware: the cost of a bare request.

Only a cache that needs no database is read here (Redis while it answers, or the process's
memory in the embedded default): when Redis is down, the request goes through Django, whose
selectors use the database fallback (``onthaal.core.cache``). A ticket's location is known
once its status was read through Django (``snapshots.remember_place``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache

from onthaal.core import cache as shared_cache
from onthaal.queue import snapshots

log = logging.getLogger(__name__)

DISPLAY_PATH = re.compile(r"^/api/v1/locations/(\d{1,18})/display/$")
TICKET_STATUS_PATH = re.compile(r"^/ticket/([A-Za-z0-9_-]{1,32})/status\.json$")

# The request headers that may change the answer (language, format, host checks, scheme).
_CHOOSING = (b"host", b"accept", b"accept-language", b"x-forwarded-proto", b"x-forwarded-host")
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")


def response_key(location_id: int, name: str, variant: str) -> str:
    return f"queue:response:{location_id}:{name}:{variant}"


_backend: list[BaseCache] = []


def _store() -> BaseCache | None:
    """The cache to read in the event loop: one that never touches the database. One backend
    for the process (``caches["default"]`` would make one, with its own Redis connection pool,
    per request: each request is a context of its own)."""
    if settings.ONTHAAL_READ_CACHE == "off":
        return None
    if not _backend:
        _backend.append(caches.create_connection("default"))
    default = _backend[0]
    if isinstance(default, shared_cache.FailoverCache):
        return default.primary if shared_cache.health.usable() else None
    if isinstance(default, LocMemCache):
        return default
    return None


def _variant(scope: dict[str, Any]) -> str:
    headers = dict(scope.get("headers") or [])
    cookie = headers.get(b"cookie", b"")
    name = settings.LANGUAGE_COOKIE_NAME.encode()
    match = re.search(rb"(?:^|;\s*)" + re.escape(name) + rb"=([^;]*)", cookie)
    parts = [
        str(scope.get("scheme", "")).encode(),
        scope.get("query_string", b""),
        *(headers.get(h, b"") for h in _CHOOSING),
        match.group(1) if match else b"",
    ]
    return hashlib.sha256(b"\x00".join(parts)).hexdigest()[:24]


def _request_id(scope: dict[str, Any]) -> bytes:
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id" and _REQUEST_ID.match(value):
            return bytes(value)
    return uuid.uuid4().hex.encode()


async def _send_kept(
    send: Any, scope: dict[str, Any], status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"x-request-id", _request_id(scope))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def respond(scope: dict[str, Any], receive: Any, send: Any, django: Any) -> None:
    """Answer a display or ticket status read from the cache, or through ``django`` (keeping
    its answer)."""
    path = scope.get("path", "")
    store = _store()
    display = DISPLAY_PATH.match(path)
    ticket = None if display else TICKET_STATUS_PATH.match(path)
    if store is None or (display is None and ticket is None):
        await django(scope, receive, send)
        return
    try:
        if display is not None:
            location_id: int | None = int(display.group(1))
            name = "display"
        else:
            assert ticket is not None
            name = f"ticket:{ticket.group(1)}"
            place = store.get(snapshots.place_key(ticket.group(1)))
            location_id = place if isinstance(place, int) else None
        if location_id is None:
            await django(scope, receive, send)
            return
        vkey = snapshots.version_key(location_id)
        ckey = snapshots.calls_version_key(location_id)
        rkey = response_key(location_id, name, _variant(scope))
        found = store.get_many([vkey, ckey, rkey])
        version, calls_version = found.get(vkey), found.get(ckey)
        entry = found.get(rkey)
        now = time.time()
        # The display's waiting counts may be late after an issue; a ticket's status may not.
        lag = snapshots.WAITING_LAG if display is not None else 0.0
        if (
            version is not None
            and isinstance(entry, tuple)
            and len(entry) == 4
            and snapshots.fresh(entry[0], version, calls_version, lag, now)
        ):
            _, status, headers, body = entry
            await _send_kept(send, scope, status, headers, body)
            return
        version = version if version is not None else _made(store, vkey)
        calls_version = calls_version if calls_version is not None else _made(store, ckey)
    except shared_cache._unavailable() as error:
        shared_cache.health.failed(error)
        await django(scope, receive, send)
        return
    stamp = (version, calls_version, now)
    # One answer being made per key and versions; for the display, per key and calls version:
    # one begun less than the lag ago is as good as an answer kept then.
    flight = (rkey, calls_version) if lag else (rkey, version, calls_version)
    waiting = _in_flight.get(flight)
    if waiting is not None and snapshots.fresh(waiting[0], version, calls_version, lag, now):
        kept = await asyncio.shield(waiting[1])  # the same answer is being made: wait for it
        if kept is not None:
            await _send_kept(send, scope, *kept)
            return
        await django(scope, receive, send)
        return
    made: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    mine = (stamp, made)
    _in_flight[flight] = mine
    sent: list[dict[str, Any]] = []

    async def keep(message: dict[str, Any]) -> None:
        sent.append(message)
        await send(message)

    try:
        await django(scope, receive, keep)
    finally:
        if _in_flight.get(flight) is mine:
            del _in_flight[flight]
        kept = None
        try:
            kept = _keep(store, rkey, stamp, sent)
        finally:
            made.set_result(kept)


# The answers being made through Django in this process, with the versions they are made under:
# after a write, the screens polling a location wait for one of them rather than each making its
# own.
_in_flight: dict[tuple[Any, ...], tuple[tuple[Any, Any, float], asyncio.Future[Any]]] = {}


def _made(store: BaseCache, key: str) -> Any:
    """The version under ``key``, made when there is none."""
    token = uuid.uuid4().hex
    return token if store.add(key, token, timeout=None) else store.get(key)


def _keep(
    store: BaseCache, key: str, stamp: tuple[Any, Any, float], sent: list[dict[str, Any]]
) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """Keep Django's answer when it is a plain 200 without a cookie, stamped with the versions
    read before it was made (``snapshots.fresh``); the answer kept."""
    if (
        stamp[0] is None
        or stamp[1] is None
        or not sent
        or sent[0].get("type") != "http.response.start"
    ):
        return None
    start, parts = sent[0], sent[1:]
    headers = [
        (bytes(k), bytes(v)) for k, v in start.get("headers", []) if k.lower() != b"x-request-id"
    ]
    if start.get("status") != 200 or any(k.lower() == b"set-cookie" for k, _ in headers):
        return None
    if not parts or parts[-1].get("more_body", False):
        return None
    body = b"".join(p.get("body", b"") for p in parts)
    try:
        store.set(key, (stamp, 200, headers, body), timeout=snapshots.TTL)
    except shared_cache._unavailable() as error:
        shared_cache.health.failed(error)
    return 200, headers, body
