"""Reading the figures: sums from the rollups, percentiles from the facts, within a scope.

Everything here is anonymous counts. Who may read what is decided once, when the ``Scope`` is
built (``scope_for``): the departments a user has ``reporting.view`` in — a team lead their own,
a manager every department but the confidential ones (the OCMW social service), which only its
own members see (``accounts.access``). Views record the consultation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from onthaal.accounts import access
from onthaal.core.errors import AccessDenied
from onthaal.reporting import facts, statements
from onthaal.reporting.models import MEASURES, HourlyRollup, SurveyAnswer, Visit

BY_CHOICES = ("hour", "weekday", "day", "week", "month", "product", "channel", "department")
DATE_KEYS = frozenset({"day", "week", "month"})
DEFAULT_TARGET_SECONDS = 900


@dataclass(frozen=True)
class Scope:
    """What a figure counts: a period (both days included) and filters. ``department_ids`` is
    always the allowed set (never empty-means-all)."""

    start: dt.date
    end: dt.date
    department_ids: tuple[int, ...]
    location_id: int | None = None
    product_id: int | None = None
    channel: str | None = None

    def shifted(self, start: dt.date, end: dt.date) -> Scope:
        return replace(self, start=start, end=end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def allowed_departments(user: Any) -> list[Any]:
    return list(access.departments_with(user, "reporting.view").order_by("name"))


def scope_for(
    user: Any,
    *,
    start: dt.date,
    end: dt.date,
    department: Any = None,
    location_id: int | None = None,
    product_id: int | None = None,
    channel: str | None = None,
) -> Scope:
    """The scope ``user`` may read; ``AccessDenied`` (audited) for a department outside it."""
    allowed = [d.pk for d in allowed_departments(user)]
    if department is not None:
        if department.pk not in allowed:
            access.require(
                user,
                "reporting.view",
                department,
                object_type="reporting.report",
                object_id=str(department.pk),
            )
            raise AccessDenied("")  # pragma: no cover - require raised already
        ids: tuple[int, ...] = (department.pk,)
    else:
        ids = tuple(allowed)
    return Scope(start, end, ids, location_id, product_id, channel)


def _filters(scope: Scope) -> Q:
    q = Q(service_day__gte=scope.start, service_day__lte=scope.end)
    q &= Q(department_id__in=scope.department_ids)
    if scope.location_id is not None:
        q &= Q(location_id=scope.location_id)
    if scope.product_id is not None:
        q &= Q(product_id=scope.product_id)
    if scope.channel:
        q &= Q(channel=scope.channel)
    return q


def rollups(scope: Scope) -> QuerySet[HourlyRollup]:
    return HourlyRollup.objects.filter(_filters(scope))


def visits(scope: Scope) -> QuerySet[Visit]:
    return Visit.objects.filter(_filters(scope))


def _key(by: str) -> Any:
    return {
        "hour": F("hour"),
        "weekday": F("weekday"),
        "day": F("service_day"),
        "week": TruncWeek("service_day"),
        "month": TruncMonth("service_day"),
        "product": F("product_id"),
        "channel": F("channel"),
        "department": F("department_id"),
        "location": F("location_id"),
        "queue": F("queue_id"),
    }[by]


def _normal(by: str, key: Any) -> Any:
    """Keys as Python values: SQLite gives truncated dates back as text."""
    if by in DATE_KEYS and isinstance(key, str):
        return dt.date.fromisoformat(key[:10])
    if by in DATE_KEYS and isinstance(key, dt.datetime):
        return key.date()
    return key


def _sums_from_rollups(queryset: QuerySet[HourlyRollup]) -> dict[str, Any]:
    return {f"s_{m}": Coalesce(Sum(m), 0) for m in MEASURES}


def _sums_from_facts() -> dict[str, Any]:
    zero = 0
    return {
        "s_visits": Count("pk"),
        "s_served": Count("pk", filter=Q(outcome=facts.SERVED)),
        "s_no_shows": Count("pk", filter=Q(outcome=facts.NO_SHOW)),
        "s_cancelled": Count("pk", filter=Q(outcome=facts.CANCELLED)),
        "s_transferred": Count("pk", filter=Q(outcome=facts.TRANSFERRED)),
        "s_persons": Coalesce(Sum("persons"), zero),
        "s_items": Coalesce(Sum("items"), zero),
        "s_wait_count": Count("wait_seconds"),
        "s_wait_sum": Coalesce(Sum("wait_seconds"), zero),
        "s_service_count": Count("service_seconds"),
        "s_service_sum": Coalesce(Sum("service_seconds"), zero),
        "s_booked_minutes": Coalesce(Sum("booked_minutes"), zero),
    }


def _strip(row: dict[str, Any]) -> dict[str, int]:
    return {m: int(row[f"s_{m}"] or 0) for m in MEASURES}


def totals(scope: Scope, *, use_rollups: bool = True) -> dict[str, int]:
    """The sums of every measure over ``scope``."""
    if use_rollups:
        row = rollups(scope).aggregate(**_sums_from_rollups(rollups(scope)))
    else:
        row = visits(scope).aggregate(**_sums_from_facts())
    return _strip(row)


def grouped(scope: Scope, by: str, *, use_rollups: bool = True) -> dict[Any, dict[str, int]]:
    """``{key: sums}`` per ``by`` (see ``BY_CHOICES``, or "location"), in key order."""
    source: QuerySet[Any]
    if use_rollups:
        source = rollups(scope)
        sums = _sums_from_rollups(source)
    else:
        source = visits(scope)
        sums = _sums_from_facts()
    rows = source.annotate(k=_key(by)).values("k").annotate(**sums).order_by("k")
    return {_normal(by, row["k"]): _strip(dict(row)) for row in rows}


def grouped_twice(scope: Scope, first: str, second: str) -> dict[tuple[Any, Any], int]:
    """Visits per (first, second) key pair, from the rollups (heat map, channel mix)."""
    rows = (
        rollups(scope)
        .annotate(a=_key(first), b=_key(second))
        .values("a", "b")
        .annotate(n=Sum("visits"))
        .order_by("a", "b")
    )
    return {(_normal(first, r["a"]), _normal(second, r["b"])): int(r["n"] or 0) for r in rows}


def percentiles(
    scope: Scope, column: str, by: str | None = None, pcts: Sequence[int] = (50, 90)
) -> dict[Any, tuple[int | None, ...]]:
    """Nearest-rank percentiles of ``column`` (wait_seconds, service_seconds) per ``by``."""
    result = statements.percentiles(visits(scope), column, _key(by) if by else None, pcts)
    return {_normal(by or "", k): v for k, v in result.items()}


def service_levels(scope: Scope, targets: dict[int, int]) -> dict[int | None, tuple[int, int]]:
    """Per queue: (visits called within the queue's target wait, visits called). Queues
    without a target use ``DEFAULT_TARGET_SECONDS``."""
    target = Case(
        *[When(queue_id=queue_id, then=Value(seconds)) for queue_id, seconds in targets.items()],
        default=Value(DEFAULT_TARGET_SECONDS),
        output_field=IntegerField(),
    )
    rows = (
        visits(scope)
        .filter(wait_seconds__isnull=False)
        .annotate(target=target)
        .values("queue_id")
        .annotate(
            within=Count("pk", filter=Q(wait_seconds__lte=F("target"))),
            called=Count("pk"),
        )
        .order_by("queue_id")
    )
    return {row["queue_id"]: (row["within"], row["called"]) for row in rows}


def booked_minutes_kept(scope: Scope) -> dict[tuple[int, int], int]:
    """Minutes of appointment slots used (served or no-show; cancelled ones were freed), per
    (location, department)."""
    rows = (
        visits(scope)
        .filter(channel=facts.APPOINTMENT)
        .exclude(outcome__in=[facts.CANCELLED])
        .values("location_id", "department_id")
        .annotate(n=Coalesce(Sum("booked_minutes"), 0))
        .order_by()
    )
    return {(r["location_id"], r["department_id"]): int(r["n"]) for r in rows}


def survey_scores(scope: Scope) -> dict[int, dict[int, int]]:
    """Survey answers per department and score (1 to 5) within ``scope``: its period,
    departments, location and channel (answers have no product, so a product filter does not
    apply to them)."""
    q = Q(service_day__gte=scope.start, service_day__lte=scope.end)
    q &= Q(department_id__in=scope.department_ids)
    if scope.location_id is not None:
        q &= Q(location_id=scope.location_id)
    if scope.channel:
        q &= Q(channel=scope.channel)
    rows = (
        SurveyAnswer.objects.filter(q)
        .values("department_id", "score")
        .annotate(n=Count("pk"))
        .order_by("department_id", "score")
    )
    out: dict[int, dict[int, int]] = {}
    for row in rows:
        out.setdefault(row["department_id"], {})[row["score"]] = row["n"]
    return out


def first_day() -> dt.date | None:
    return (
        HourlyRollup.objects.order_by("service_day").values_list("service_day", flat=True).first()
    )


def ids(values: Iterable[Any]) -> list[int]:
    return [v.pk for v in values]
