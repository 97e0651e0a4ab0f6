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
the old version, where nobody reads it any more. Inside a test case's transaction, where
nothing commits and commit hooks never run, both versions are replaced when the write is made
(``bump_in_test_case``), so the test's reads after it see its writes.

A new waiting ticket changes only how many wait (and the expected waits); what a screen
shows besides — the calls, the desks, the announcements — stays. So a location has two
versions: the *version* that every write replaces, and the *calls version* that every write
but issuing a ticket replaces (``bump(waiting_only=True)``). The display's answer kept by
``public_reads`` is read under both (``fresh``): an answer of the current calls version is read
for ``WAITING_LAG`` seconds after it was begun even when tickets were issued since, so its
waiting counts are at most that late after an issue's response, while a call is read at once.
Without it, at a ticket issued every few milliseconds every display read waited for a new
computation (ADR 0015, "The display while tickets are issued"). Everything else read here
(``read``: a ticket's status, the kiosk's queues, what Django computes for the display) is
read under the version only, at once after any write.

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

from onthaal.core import cache as shared_cache

log = logging.getLogger(__name__)

T = TypeVar("T")

TTL = 10  # seconds an entry is kept at most


WAITING_LAG = 1.0
"""Seconds the display's waiting counts may be late after a ticket is issued (a screen on the
live stream reads them again 1 s after a ticket event: ``screen.js``)."""


def version_key(location_id: int) -> str:
    return f"queue:version:{location_id}"


def calls_version_key(location_id: int) -> str:
    return f"queue:calls-version:{location_id}"


def entry_key(location_id: int, name: str) -> str:
    return f"queue:snapshot:{location_id}:{name}"


def bump(location_id: int, *, waiting_only: bool = False) -> None:
    """Give the location a new version (and a new calls version unless ``waiting_only``: the
    write only added a waiting ticket). Never raises: a write must not fail because the cache
    does (the entries expire after ``TTL``)."""
    token = uuid.uuid4().hex
    try:
        if waiting_only:  # an issue: the one SET it always cost
            cache.set(version_key(location_id), token, timeout=None)
        else:  # both, in one round trip (within the write's own: ``broker.publish``)
            keys = [version_key(location_id), calls_version_key(location_id)]
            with shared_cache.one_round_trip():
                cache.set_many(dict.fromkeys(keys, token), timeout=None)
    except Exception:
        log.warning("the cached state of location %s was not invalidated", location_id)


def in_test_case() -> bool:
    """Inside a test case's transaction (pytest-django's ``db``), which never commits."""
    return any(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def bump_in_test_case(location_id: int) -> None:
    """Inside a test case's transaction, where commit hooks never run: both versions now, so
    the test's reads after the write see it at once (``broker.publish``)."""
    if in_test_case():
        bump(location_id)


def current_version(location_id: int, known: str | None = None) -> str:
    """The location's version (``known`` when just read); made when there is none."""
    if known is not None:
        return known
    key = version_key(location_id)
    made = uuid.uuid4().hex
    if cache.add(key, made, timeout=None):
        return made
    return str(cache.get(key) or made)


def fresh(stamp: Any, version: Any, calls_version: Any, lag: float, now: float) -> bool:
    """Whether an entry stamped ``stamp`` — the version, the calls version and the time (epoch
    seconds) read just before it was made — may be read ``now``: made under the current
    versions, or, with a ``lag``, under the current calls version less than ``lag`` seconds
    ago (the clocks of the app processes agree to well under a second: NTP)."""
    if not (isinstance(stamp, tuple) and len(stamp) == 3) or stamp[1] != calls_version:
        return False
    return bool(stamp[0] == version or (lag > 0 and 0 <= now - stamp[2] < lag))


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
