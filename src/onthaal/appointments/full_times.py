"""Times that every desk already has, remembered in the cache: a booking rush's losers are
answered without the database and without waiting for the day's lock (ADR 0005).

When a booking finds, inside the department's day lock, that every desk has its time (or when
the winner's own booking makes it so), it marks the time *full* under the department's day
*version*, a random token in the cache. A booking for a full time is refused (409) by one
cache round trip (the version and the mark in one ``get_many``, ``lookup``), before any
query.

Never a free time refused for longer than a moment:

* every write that can free a place (a cancel, a move, a check-in's or no-show's transition,
  a released or expired hold given up) gives the day a new version, when it is made and once
  more after its commit (``changed``): a mark made under the old version is not read again;
* the version is read *before* the appointments that decide are (inside the lock): a booking
  that read a time as taken just before a cancel committed stores its mark under the version
  that the cancel replaces;
* a mark expires after ``TTL`` seconds, which bounds what changes a place without passing
  here (an admin's edit of a desk, its schedule or an absence; a visit finished early through
  its ticket); and sooner, when a hold is in the way, at the hold's expiry.

Only with a cache that every app process shares (``ONTHAAL_READ_CACHE`` not ``off``, as the
screens' cache, ADR 0015): one process's memory would miss another's cancel. A cache that
does not answer refuses nothing: the booking goes the long way.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from onthaal.core import clock

log = logging.getLogger(__name__)

TTL = 10  # seconds a mark is believed at most
DAY_TTL = 2 * 24 * 60 * 60  # a day's version outlives every mark made under it
KNOWN_TTL = 60.0  # seconds a request's resolution is kept in the process
KNOWN_MAX = 1000  # resolutions kept in the process at most


def _day_key(location_id: int, department_id: int, day: dt.date) -> str:
    return f"appointments:day:{location_id}:{department_id}:{day.isoformat()}"


def _time_key(location_id: int, department_id: int, start: dt.datetime, end: dt.datetime) -> str:
    return f"appointments:full:{location_id}:{department_id}:{start.timestamp():.0f}:{end.timestamp():.0f}"


def _day(start: dt.datetime) -> dt.date:
    return start.astimezone(clock.BRUSSELS).date()


def enabled() -> bool:
    return settings.ONTHAAL_READ_CACHE != "off"


def lookup(
    location_id: int, department_id: int, start: dt.datetime, end: dt.datetime
) -> tuple[bool, str | None]:
    """Whether ``start`` to ``end`` is marked full under the day's current version, and that
    version (made when the day has none; None when the marks are off or the cache does not
    answer), to mark the time under it once the appointments read after this show it full.
    One cache round trip."""
    if not enabled():
        return False, None
    day_key = _day_key(location_id, department_id, _day(start))
    time_key = _time_key(location_id, department_id, start, end)
    try:
        found = cache.get_many([day_key, time_key])
    except Exception:
        log.warning("the cache is unavailable; the booking goes the long way")
        return False, None
    current = found.get(day_key)
    if current is None:
        return False, version(location_id, department_id, _day(start))
    return found.get(time_key) == current, str(current)


def version(location_id: int, department_id: int, day: dt.date) -> str | None:
    """The day's current version (made when there is none), to mark a time full under it
    later; None when the marks are off or the cache does not answer."""
    if not enabled():
        return None
    key = _day_key(location_id, department_id, day)
    made = uuid.uuid4().hex
    try:
        if cache.add(key, made, timeout=DAY_TTL):
            return made
        found = cache.get(key)
    except Exception:
        log.warning("the cache is unavailable; no time is marked full")
        return None
    return str(found) if found is not None else None


def mark(
    location_id: int,
    department_id: int,
    start: dt.datetime,
    end: dt.datetime,
    under: str | None,
    *,
    until: dt.datetime | None = None,
) -> None:
    """Remember that every desk has ``start`` to ``end``, as the appointments read under the
    version ``under`` showed (``version``), until ``until`` (the first hold in the way
    expires) or ``TTL`` seconds."""
    if under is None:
        return
    timeout = TTL
    if until is not None:
        timeout = min(TTL, int((until - clock.now()).total_seconds()))
        if timeout <= 0:
            return
    try:
        cache.set(_time_key(location_id, department_id, start, end), under, timeout=timeout)
    except Exception:
        log.warning("the cache is unavailable; the full time is not remembered")


def _new_version(location_id: int, department_id: int, day: dt.date) -> None:
    try:
        cache.set(_day_key(location_id, department_id, day), uuid.uuid4().hex, timeout=DAY_TTL)
    except Exception:
        # The marks of that day expire after TTL seconds anyway.
        log.warning("the full times of a day were not forgotten")


def changed(location_id: int, department_id: int, start: dt.datetime) -> None:
    """A place on the day of ``start`` may have been freed: no mark of that day is believed
    any more. Now, and once more after the commit (a booking that read the version between
    the two saw the place still taken)."""
    if not enabled():
        return
    day = _day(start)
    _new_version(location_id, department_id, day)
    transaction.on_commit(lambda: _new_version(location_id, department_id, day))


@dataclass(frozen=True)
class Known:
    """What a booking request's location and products resolved to (``services.Request``),
    enough to find a mark and to answer a 409 without the database."""

    location_id: int
    department_id: int
    duration: dt.timedelta
    location_slug: str
    product_slugs: tuple[str, ...]
    persons: int


_known: dict[tuple[str, tuple[str, ...], int], tuple[float, Known]] = {}
_known_lock = threading.Lock()


def _request_key(
    location: str, products: Sequence[str], persons: int
) -> tuple[str, tuple[str, ...], int]:
    return (location, tuple(products), persons)


def remember(location: str, products: Sequence[str], persons: int, known: Known) -> None:
    """Keep, in this process, what a request as the client wrote it (``location`` and
    ``products`` as ids or slugs) resolved to, for ``KNOWN_TTL`` seconds."""
    with _known_lock:
        if len(_known) >= KNOWN_MAX:
            _known.clear()
        _known[_request_key(location, products, persons)] = (time.monotonic(), known)


def known(location: str, products: Sequence[str], persons: int) -> Known | None:
    """What the same request resolved to in this process lately, if anything. Only to look
    for a mark: a stale resolution finds none (or a time that is full anyway), and the
    booking then goes the long way, which resolves and checks everything afresh."""
    found = _known.get(_request_key(location, products, persons))
    if found is None or time.monotonic() - found[0] > KNOWN_TTL:
        return None
    return found[1]


def forget_known() -> None:
    """Drop the resolutions kept in this process (tests)."""
    with _known_lock:
        _known.clear()


def known_full(known: Known, start: dt.datetime) -> bool:
    """True when the time from ``start`` that ``known`` asks for is marked full."""
    return lookup(known.location_id, known.department_id, start, start + known.duration)[0]
