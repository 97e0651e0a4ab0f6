"""Reading the figures within a scope: sums, percentiles and service levels from the rollups.

Every figure of the dashboard and the API reads the rollups, never the facts: the daily rollup
(about a ninth of the hourly rows) unless the figure needs the hour. Percentiles and service
levels come from the histograms of seconds the rollups keep (``histogram.py``, with its error
bound: the estimate lies in the bucket of the exact nearest-rank percentile).

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

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from onthaal.accounts import access
from onthaal.core.errors import AccessDenied
from onthaal.reporting import facts, histogram, kpi, statements
from onthaal.reporting.models import (
    COUNTED,
    MEASURES,
    DailyRollup,
    HourlyRollup,
    SurveyAnswer,
    Visit,
)

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


def rollups(scope: Scope, *, hourly: bool = False) -> QuerySet[Any]:
    """The rollup rows of ``scope``: hourly when the figure needs the hour, else daily."""
    model = HourlyRollup if hourly else DailyRollup
    return model.objects.filter(_filters(scope))


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


# What a figure sums (a row of ``grouped`` holds only these): fewer columns, a cheaper
# aggregate — the rollup rows are wide (72 counted columns).
WAIT = ("wait_count", *histogram.field_names("wait"))
SERVICE = ("service_count", "service_sum", *histogram.field_names("service"))
TOTALS = (*MEASURES, *histogram.field_names("wait"))


def _sums(fields: Sequence[str]) -> dict[str, Any]:
    return {f"s_{m}": Coalesce(Sum(m), 0) for m in fields}


def _fact_sums(fields: Sequence[str]) -> dict[str, Any]:
    measures = fact_measures()
    return {f"s_{m}": measures[m] for m in fields}


def fact_measures() -> dict[str, Any]:
    """The ORM aggregates over facts that give a rollup row's every counted measure
    (``COUNTED``): what ``services.rebuild_rollups`` stores, and the figures without rollups."""
    zero = 0
    measures: dict[str, Any] = {
        "visits": Count("pk"),
        "served": Count("pk", filter=Q(outcome=facts.SERVED)),
        "no_shows": Count("pk", filter=Q(outcome=facts.NO_SHOW)),
        "cancelled": Count("pk", filter=Q(outcome=facts.CANCELLED)),
        "transferred": Count("pk", filter=Q(outcome=facts.TRANSFERRED)),
        "persons": Coalesce(Sum("persons"), zero),
        "items": Coalesce(Sum("items"), zero),
        "wait_count": Count("wait_seconds"),
        "wait_sum": Coalesce(Sum("wait_seconds"), zero),
        "service_count": Count("service_seconds"),
        "service_sum": Coalesce(Sum("service_seconds"), zero),
        "booked_minutes": Coalesce(Sum("booked_minutes", filter=~Q(outcome=facts.CANCELLED)), zero),
    }
    for measure in histogram.MEASURES:
        column = f"{measure}_seconds"
        for i, name in enumerate(histogram.field_names(measure)):
            within = Q(**{f"{column}__isnull": False})
            if i > 0:
                within &= Q(**{f"{column}__gt": histogram.LOWER[i]})
            if i < histogram.BUCKETS - 1:
                within &= Q(**{f"{column}__lte": histogram.UPPER[i]})
            measures[name] = Count("pk", filter=within)
    return measures


def _strip(row: dict[str, Any], fields: Sequence[str]) -> dict[str, int]:
    return {m: int(row[f"s_{m}"] or 0) for m in fields}


def counts(row: dict[str, int], measure: str) -> list[int]:
    """The histogram of ``measure`` ("wait", "service") of a row of sums."""
    return [row[name] for name in histogram.field_names(measure)]


def totals(
    scope: Scope, *, use_rollups: bool = True, fields: Sequence[str] = TOTALS
) -> dict[str, int]:
    """The sums of ``fields`` (every sum and the waiting histogram) over ``scope``."""
    if use_rollups:
        return rollup_sums(scope, (), fields)[()]
    row = visits(scope).aggregate(**_fact_sums(fields))
    return _strip(row, fields)


def grouped(
    scope: Scope, by: str, *, use_rollups: bool = True, fields: Sequence[str] = COUNTED
) -> dict[Any, dict[str, int]]:
    """``{key: sums of fields}`` per ``by`` (see ``BY_CHOICES``, "location" or "queue"), in
    key order; ``fields`` from ``COUNTED`` (sums and histograms)."""
    source: QuerySet[Any]
    if use_rollups and (by in COLUMNS or by in FOLDS):
        return {
            key[0]: row
            for key, row in rollup_sums(scope, (by,), fields, hourly=by == "hour").items()
        }
    if use_rollups:
        source = rollups(scope, hourly=by == "hour")
        sums = _sums(fields)
    else:
        source = visits(scope)
        sums = _fact_sums(fields)
    rows = source.annotate(k=_key(by)).values("k").annotate(**sums).order_by("k")
    return {_normal(by, row["k"]): _strip(dict(row), fields) for row in rows}


# The keys (``grouped``'s ``by``) that are a rollup column: summed by one hand-written
# statement (``statements.rollup_sums``) instead of the ORM.
COLUMNS = {
    "hour": "hour",
    "weekday": "weekday",
    "day": "service_day",
    "product": "product_id",
    "channel": "channel",
    "department": "department_id",
    "location": "location_id",
    "queue": "queue_id",
}


# Keys read per day and added up into their week or month (Monday; the first of the month).
FOLDS = {"week": kpi.week_start, "month": kpi.month_start}

# Whether the sums over rollup columns are read by the hand-written statement (the ORM when
# not: what the statement's test holds it equal to; the benchmark's figures without rollups).
SUMS_IN_SQL = True


def rollup_sums(
    scope: Scope,
    keys: Sequence[str],
    fields: Sequence[str],
    *,
    hourly: bool = False,
    in_sql: bool | None = None,
) -> dict[tuple[Any, ...], dict[str, int]]:
    """``{(key, ...): sums of fields}`` over the rollup rows of ``scope`` (hourly or daily)
    per combination of ``keys`` (of ``COLUMNS``; none: one row, key ``()``), in key order:
    ``statements.rollup_sums``, or the ORM with ``in_sql=False``."""
    if SUMS_IN_SQL if in_sql is None else in_sql:
        # Weeks and months are read per day and added up here: the statement stays plain
        # SQL on every database (no date truncation), and a quarter is 91 days.
        folds = [FOLDS.get(k) for k in keys]
        rows = statements.rollup_sums(
            HourlyRollup if hourly else DailyRollup,
            [COLUMNS["day" if k in FOLDS else k] for k in keys],
            fields,
            start=scope.start,
            end=scope.end,
            department_ids=scope.department_ids,
            location_id=scope.location_id,
            product_id=scope.product_id,
            channel=scope.channel,
        )
        if not any(folds):
            return rows
        folded: dict[tuple[Any, ...], dict[str, int]] = {}
        for key, row in rows.items():
            k = tuple(fold(v) if fold else v for fold, v in zip(folds, key, strict=True))
            target = folded.get(k)
            if target is None:
                folded[k] = dict(row)
            else:
                for name in fields:
                    target[name] += row[name]
        return dict(sorted(folded.items()))
    source = rollups(scope, hourly=hourly)
    if not keys:
        return {(): _strip(source.aggregate(**_sums(fields)), fields)}
    return _summed_by(source, keys, fields)


def _summed_by(
    source: Any, keys: Sequence[str], fields: Sequence[str]
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The ORM's ``{(key, ...): sums of fields}`` of the rollup rows ``source`` per
    combination of ``keys``, in key order."""
    names = [f"k{i}" for i in range(len(keys))]
    rows = (
        source.annotate(**{name: _key(k) for name, k in zip(names, keys, strict=True)})
        .values(*names)
        .annotate(**_sums(fields))
        .order_by()
    )
    out = {
        tuple(_normal(k, row[name]) for name, k in zip(names, keys, strict=True)): _strip(
            dict(row), fields
        )
        for row in rows
    }
    return dict(sorted(out.items()))


def grouped_by(
    scope: Scope, keys: Sequence[str], *, fields: Sequence[str], in_sql: bool | None = None
) -> dict[tuple[Any, ...], dict[str, int]]:
    """``{(key, ...): sums of fields}`` per combination of ``keys`` (as ``grouped``'s ``by``),
    from the daily rollup: one query whose rows several figures share (``regroup``). Keys that
    are rollup columns are summed by a hand-written statement (``statements.rollup_sums``);
    ``in_sql=False`` asks the ORM (what the statement is held equal to)."""
    if all((k in COLUMNS or k in FOLDS) and k != "hour" for k in keys):
        return rollup_sums(scope, keys, fields, in_sql=in_sql)
    return _summed_by(rollups(scope), keys, fields)


def regroup(
    rows: dict[tuple[Any, ...], dict[str, int]],
    positions: Sequence[int],
    fields: Sequence[str],
    where: Any = None,
) -> dict[Any, dict[str, int]]:
    """The sums of ``fields`` of ``grouped_by``'s ``rows`` per the key parts at ``positions``
    (one part: the part itself as key, as ``grouped`` gives it), in key order; ``where``: only
    the rows whose key it accepts."""
    out: dict[Any, dict[str, int]] = {}
    for key, row in rows.items():
        if where is not None and not where(key):
            continue
        k = key[positions[0]] if len(positions) == 1 else tuple(key[p] for p in positions)
        target = out.get(k)
        if target is None:
            target = out[k] = dict.fromkeys(fields, 0)
        for name in fields:
            target[name] += row[name]
    return dict(sorted(out.items()))


def add_up(rows: Iterable[dict[str, int]], fields: Sequence[str]) -> dict[str, int]:
    """The sums of ``fields`` over ``rows`` (``totals`` from rows already read)."""
    out = dict.fromkeys(fields, 0)
    for row in rows:
        for name in fields:
            out[name] += row[name]
    return out


def grouped_twice(scope: Scope, first: str, second: str) -> dict[tuple[Any, Any], int]:
    """Visits per (first, second) key pair, from the rollups (heat map, channel mix)."""
    if all(k in COLUMNS or k in FOLDS for k in (first, second)):
        sums = rollup_sums(scope, (first, second), ("visits",), hourly="hour" in (first, second))
        return {(a, b): row["visits"] for (a, b), row in sums.items()}
    rows = (
        rollups(scope, hourly="hour" in (first, second))
        .annotate(a=_key(first), b=_key(second))
        .values("a", "b")
        .annotate(n=Sum("visits"))
        .order_by("a", "b")
    )
    return {(_normal(first, r["a"]), _normal(second, r["b"])): int(r["n"] or 0) for r in rows}


def percentiles_of(
    rows: dict[Any, dict[str, int]], measure: str, pcts: Sequence[int] = (50, 90)
) -> dict[Any, tuple[int | None, ...]]:
    """Per key of ``rows`` (from ``grouped``), the percentiles of ``measure`` ("wait",
    "service") from its histogram; keys without a value of ``measure`` are left out."""
    out = {}
    for key, row in rows.items():
        hist = counts(row, measure)
        if sum(hist):
            out[key] = tuple(histogram.percentile(hist, p / 100) for p in pcts)
    return out


def percentiles(
    scope: Scope, column: str, by: str | None = None, pcts: Sequence[int] = (50, 90)
) -> dict[Any, tuple[int | None, ...]]:
    """Percentiles of ``column`` (wait_seconds, service_seconds) per ``by`` (one group, key 0,
    without), from the rollups' histograms."""
    measure = column.removesuffix("_seconds")
    fields = WAIT if measure == "wait" else SERVICE
    rows = grouped(scope, by, fields=fields) if by else {0: totals(scope, fields=fields)}
    return percentiles_of(rows, measure, pcts)


def exact_percentiles(
    scope: Scope, column: str, by: str | None = None, pcts: Sequence[int] = (50, 90)
) -> dict[Any, tuple[int | None, ...]]:
    """Nearest-rank percentiles of ``column`` per ``by``, read from the facts (a scan): what
    the histograms' estimates are held against."""
    result = statements.percentiles(visits(scope), column, _key(by) if by else None, pcts)
    return {_normal(by or "", k): v for k, v in result.items()}


def service_levels(
    per_queue: dict[Any, dict[str, int]], targets: dict[int, int]
) -> dict[int | None, tuple[float, int]]:
    """Per queue (rows of ``grouped(scope, "queue")``): (visits called within the queue's
    target wait, visits called), from the waiting histogram. Queues without a target use
    ``DEFAULT_TARGET_SECONDS``."""
    return {
        queue_id: (
            histogram.within(counts(row, "wait"), targets.get(queue_id, DEFAULT_TARGET_SECONDS)),
            row["wait_count"],
        )
        for queue_id, row in per_queue.items()
        if row["wait_count"]
    }


def booked_minutes_kept(scope: Scope) -> dict[tuple[int, int], int]:
    """Minutes of appointment slots used (served or no-show; the rollups leave out cancelled
    ones, whose time was freed), per (location, department)."""
    rows = (
        rollups(scope)
        .filter(channel=facts.APPOINTMENT)
        .values("location_id", "department_id")
        .annotate(n=Coalesce(Sum("booked_minutes"), 0))
        .order_by()
    )
    return {(r["location_id"], r["department_id"]): int(r["n"]) for r in rows}


def _survey_filters(scope: Scope) -> Q:
    q = Q(service_day__gte=scope.start, service_day__lte=scope.end)
    q &= Q(department_id__in=scope.department_ids)
    if scope.location_id is not None:
        q &= Q(location_id=scope.location_id)
    if scope.channel:
        q &= Q(channel=scope.channel)
    return q


def survey_comments(scope: Scope, limit: int = 20) -> list[dict[str, Any]]:
    """The latest ``limit`` survey answers with a comment within ``scope`` (as
    ``survey_scores``): service day, department, score and comment — nothing else is kept."""
    rows = (
        SurveyAnswer.objects.filter(_survey_filters(scope))
        .exclude(comment="")
        .order_by("-service_day", "-pk")
        .values("service_day", "department_id", "score", "comment")[:limit]
    )
    return [dict(row) for row in rows]


def survey_scores(scope: Scope) -> dict[int, dict[int, int]]:
    """Survey answers per department and score (1 to 5) within ``scope``: its period,
    departments, location and channel (answers have no product, so a product filter does not
    apply to them)."""
    rows = (
        SurveyAnswer.objects.filter(_survey_filters(scope))
        .values("department_id", "score")
        .annotate(n=Count("pk"))
        .order_by("department_id", "score")
    )
    out: dict[int, dict[int, int]] = {}
    for row in rows:
        out.setdefault(row["department_id"], {})[row["score"]] = row["n"]
    return out


def first_day() -> dt.date | None:
    return DailyRollup.objects.order_by("service_day").values_list("service_day", flat=True).first()


def ids(values: Iterable[Any]) -> list[int]:
    return [v.pk for v in values]
