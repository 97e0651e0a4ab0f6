"""The advice, kept between requests: Erlang C per place, weekday and hour, the opening hours
and the desks' schedules worked out per hour, and the suggestions in words are the same for
every view of the same figures.

The key holds everything the advice is made of, so a kept advice is never one of other figures:

- the rollups' version (``RefreshState.rollups_version``, a new value in every transaction
  that changes the rollups: ``services.rollups_changed``) — new visits, a rebuild;
- a fingerprint of the opening hours and the desks with their schedules that the advice read
  for the places in scope (``advisor.PlaceData``: read on every request anyway, for the
  capacity figure) — a change of hours or of a desk's schedule;
- the scope (period, departments, location, product, channel) and the language of the words.

The cache is Django's (``settings.CACHES``: Redis shared by the app processes, else the
process's memory); with versioned keys nothing needs to be invalidated across processes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.utils import translation

from onthaal.organisation.models import Department, Location
from onthaal.reporting import advisor
from onthaal.reporting.models import RefreshState
from onthaal.reporting.selectors import Scope

TIMEOUT = 6 * 3600  # an advice no view asks for goes after a working day


def rollups_version() -> str:
    """The rollups' current version (one read of one row)."""
    value = RefreshState.objects.filter(pk=1).values_list("rollups_version", flat=True).first()
    return str(value or "none")


def fingerprint(data: advisor.PlaceData) -> str:
    """A digest of the opening hours and the desks (with their schedules) of ``data``
    (worked out once per ``data``)."""
    if data.digest is not None:
        return data.digest
    digest = hashlib.sha256()
    for location_id in sorted(data.hours):
        digest.update(f"{location_id}:{data.hours[location_id]!r};".encode())
    for key in sorted(data.desks):
        for desk in data.desks[key]:
            rows = sorted(
                (r.weekday, r.start, r.end, r.valid_from, r.valid_until)
                for r in desk.schedule.all()
            )
            digest.update(f"{key}:{desk.pk}:{desk.kind}:{desk.active}:{rows!r};".encode())
    data.digest = digest.hexdigest()[:32]
    return data.digest


def _key(scope: Scope, version: str, data: advisor.PlaceData) -> str:
    parts = (
        version,
        fingerprint(data),
        translation.get_language() or "",
        scope.start.isoformat(),
        scope.end.isoformat(),
        ",".join(str(pk) for pk in sorted(scope.department_ids)),
        str(scope.location_id or ""),
        str(scope.product_id or ""),
        scope.channel or "",
    )
    return "reporting:advice:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def capacity(
    scope: Scope, pairs: list[tuple[Location, Department]], data: advisor.PlaceData
) -> dict[tuple[int, int], float]:
    """Per place, the desk minutes open for appointments in the period
    (``capacity.appointment_capacity_minutes``): worked out day by day and desk by desk from
    the opening hours and the desks' schedules alone, so kept by their fingerprint and the
    period (no rollups in it)."""
    from onthaal.reporting.capacity import appointment_capacity_minutes

    parts = (
        fingerprint(data),
        scope.start.isoformat(),
        scope.end.isoformat(),
        ",".join(f"{location.pk}:{department.pk}" for location, department in pairs),
    )
    key = "reporting:capacity:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]
    kept: Any = cache.get(key)
    if kept is not None:
        return dict(kept)
    minutes = {
        (location.pk, department.pk): appointment_capacity_minutes(
            location,
            department,
            scope.start,
            scope.end,
            hours=data.hours.get(location.pk),
            desks=data.desks.get((location.pk, department.pk), []),
        )
        for location, department in pairs
    }
    cache.set(key, minutes, TIMEOUT)
    return minutes


def advice(
    scope: Scope,
    pairs: list[tuple[Location, Department]],
    data: advisor.PlaceData,
    *,
    version: str | None = None,
    measured: advisor.Measured | None = None,
    per_place: advisor.PerPlace | None = None,
) -> list[advisor.PlaceAdvice]:
    """``advisor.advise(scope, ...)``, from the cache when the same figures were advised on
    before (``measured`` and ``per_place``: the rollups' rows the caller read already)."""
    key = _key(scope, version or rollups_version(), data)
    kept: Any = cache.get(key)
    if kept is not None:
        return list(kept)
    places = advisor.advise(scope, pairs=pairs, data=data, measured=measured, per_place=per_place)
    cache.set(key, places, TIMEOUT)
    return places
