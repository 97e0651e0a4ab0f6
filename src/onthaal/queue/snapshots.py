"""What screens, phones and kiosks read, kept in the shared cache under the location's version.

A waiting-room screen polls its display when the live stream is down, a citizen's phone polls
its ticket's status, and the kiosk reads its queues and opening hours: many reads of a state
that only a write at the location changes. They are served from the cache (``caches
["default"]``: Redis shared by all app processes, with the database when Redis is down
(``onthaal.core.cache``); the process's memory in the embedded default, which has one).

Each location has a *version*, a random token in the cache. An entry is stored with the
version it was computed under, and read only while that version is the location's current one.
Every write that changes what a location's readers see publishes a live event
(``broker.publish``); the version is replaced just before that event goes out, after the
commit, so a read that starts after a write's response finds a new version and computes the
state again. A read that computed the old state while the write was committing stores it under
the old version, where nobody reads it any more. The version is also replaced when the write is
made, before its commit, so code that reads inside a test's transaction (where commit hooks
never run) sees its own writes.

``settings.ONTHAAL_READ_CACHE`` says whether the cache is used ("off" with several app
processes and no Redis: their memories would not see each other's invalidations).

A read inside a transaction of the caller's own is computed and not stored (it could see
uncommitted rows). Entries expire after ``TTL`` seconds: what changes without a live event
(the expected wait, which grows with time; an opening-hours exception; an admin's edit of a
queue's name; the worker's end of day in another process of the embedded default) is at most
that old.

Keys hold ids and a ticket's status id, never a name; the values are what the public payloads
already hold.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection

log = logging.getLogger(__name__)

T = TypeVar("T")

TTL = 10  # seconds an entry is kept at most


def version_key(location_id: int) -> str:
    return f"queue:version:{location_id}"


def entry_key(location_id: int, name: str) -> str:
    return f"queue:snapshot:{location_id}:{name}"


def bump(location_id: int) -> None:
    """Give the location a new version: nothing cached for it is read again. Never raises: a
    write must not fail because the cache does (the entries expire after ``TTL``)."""
    try:
        cache.set(version_key(location_id), uuid.uuid4().hex, timeout=None)
    except Exception:
        log.warning("the cached state of location %s was not invalidated", location_id)


def current_version(location_id: int, known: str | None = None) -> str:
    """The location's version (``known`` when just read); made when there is none."""
    if known is not None:
        return known
    key = version_key(location_id)
    made = uuid.uuid4().hex
    if cache.add(key, made, timeout=None):
        return made
    return str(cache.get(key) or made)


def _in_own_transaction() -> bool:
    """Inside a transaction of the caller's (not only a test case's wrapping one)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def read(location_id: int, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, or what it gave under the location's current version: one cache round
    trip on a hit (the version and the entry in one ``get_many``)."""
    if settings.ONTHAAL_READ_CACHE == "off" or _in_own_transaction():
        return compute()
    vkey, ekey = version_key(location_id), entry_key(location_id, name)
    try:
        found = cache.get_many([vkey, ekey])
        version = current_version(location_id, found.get(vkey))
    except Exception:
        log.warning("the cache is unavailable; the state is read from the database")
        return compute()
    entry: Any = found.get(ekey)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == version:
        return entry[1]
    value = compute()
    try:
        cache.set(ekey, (version, value), timeout=TTL)
    except Exception:
        log.warning("the state of location %s was not cached", location_id)
    return value


def place_key(public_id: str) -> str:
    return f"queue:place:{public_id}"


def remember_place(public_id: str, location_id: int) -> None:
    """Which location a ticket is at (it never changes), for ``public_reads``, which reads a
    ticket's cached status without the database. Written once, kept for a day."""
    try:
        cache.add(place_key(public_id), location_id, timeout=PLACE_TTL)
    except Exception:
        log.warning("the place of a ticket was not cached")


PLACE_TTL = 24 * 3600
