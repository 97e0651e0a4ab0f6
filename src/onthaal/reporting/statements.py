"""Hand-written SQL of the figures: the dashboard's wide sums over the rollups, nearest-rank
percentiles per group, and bulk inserts.

Django has no percentile aggregate. The ORM builds the filtered, keyed rows (so every filter and
grouping key is the ORM's own, on every database); this module wraps them in one window
statement that picks, per group, the value at rank ceil(p * n) — ``kpi.percentile``'s
definition, PostgreSQL's ``percentile_disc``. Integer arithmetic ((pct * n + 99) / 100) keeps
it the same on PostgreSQL and SQLite. ``tests/test_percentiles.py`` holds it equal to
``kpi.percentile`` on both.

On PostgreSQL the same rank is read with ``percentile_disc`` (one sort, no window: about half
the time over the 300,000 facts of a quarter, ``bench/bench_reporting.py``). It takes the row
at ceil(f * n) with f in floating point, where 0.07 * 100 is 7.000000000000001; so f is
pct / 100 less 1e-11: the product lands just below a whole rank instead of just above it, and
still above the rank before it (ranks are at least 0.01 apart) for any n below 10^9.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression, F, Model, QuerySet, Value

PERCENTILE_DISC_SQL = """
SELECT s.k, {columns}
  FROM ({inner}) s
 GROUP BY s.k
"""
EPSILON = 1e-11

PERCENTILE_SQL = """
SELECT k, {columns}
  FROM (
    SELECT s.k AS k, s.x AS x,
           ROW_NUMBER() OVER (PARTITION BY s.k ORDER BY s.x) AS rn,
           COUNT(*) OVER (PARTITION BY s.k) AS n
      FROM ({inner}) s
  ) ranked
 GROUP BY k
"""


def percentiles(
    queryset: QuerySet[Any],
    column: str,
    key: Expression | F | None = None,
    pcts: Sequence[int] = (50, 90),
) -> dict[Any, tuple[int | None, ...]]:
    """``{group key: (p-th percentile of column for p in pcts)}`` over ``queryset``'s rows
    whose ``column`` is set; one group (key 0) without ``key``."""
    if any(not 1 <= p <= 100 for p in pcts):
        raise ValueError("percentiles are whole numbers from 1 to 100")
    inner = (
        queryset.filter(**{f"{column}__isnull": False})
        .annotate(k=key if key is not None else Value(0), x=F(column))
        .values_list("k", "x")
        .order_by()
    )
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # the filter matches nothing (e.g. no department allowed)
        return {}
    connection = connections[queryset.db]
    if connection.vendor == "postgresql":
        columns = ", ".join(
            f"percentile_disc({int(p) / 100 - EPSILON!r}) WITHIN GROUP (ORDER BY s.x) AS p{int(p)}"
            for p in pcts
        )
        statement = PERCENTILE_DISC_SQL.format(columns=columns, inner=sql)
    else:
        columns = ", ".join(
            f"MIN(CASE WHEN rn = ({int(p)} * n + 99) / 100 THEN x END) AS p{int(p)}" for p in pcts
        )
        statement = PERCENTILE_SQL.format(columns=columns, inner=sql)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]], using: str = "default") -> int:
    """INSERT ``rows`` (attribute name -> value; the model's defaults fill the rest) with one
    prepared statement executed for all of them: the demo's and the benchmark's bulk loads of
    history, where ``bulk_create``'s per-value preparation costs more than the database's work.
    Values are adapted per column the way the ORM adapts them (dates, datetimes);
    ``tests/test_statements.py`` holds the rows equal to ``bulk_create``'s."""
    if not rows:
        return 0
    connection = connections[using]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    adapters: list[Any] = []
    for f in fields:
        kind = f.get_internal_type()
        if kind == "DateTimeField":
            adapters.append(connection.ops.adapt_datetimefield_value)
        elif kind == "DateField":
            adapters.append(connection.ops.adapt_datefield_value)
        else:
            adapters.append(None)
    defaults = [f.get_default() for f in fields]
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
    values = []
    for row in rows:
        out = []
        for name, adapt, default in zip(names, adapters, defaults, strict=True):
            value = row.get(name, default)
            out.append(adapt(value) if adapt is not None and value is not None else value)
        values.append(out)
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)
    return len(values)


def add_to_rollups(
    model: type[Model], rows: Sequence[dict[str, Any]], using: str = "default"
) -> int:
    """Add each row's counts to its row of ``model`` (``HourlyRollup``, ``DailyRollup``),
    creating it when missing: one ``INSERT ... ON CONFLICT (the rollup's key) DO UPDATE SET
    m = m + excluded.m`` executed for all rows (PostgreSQL and SQLite 3.24+). Replaces reading
    the rows, adding in Python and ``bulk_update`` — whose CASE per column took minutes for
    10,000 visits (``bench/bench_reporting.py``). ``rows`` hold the key, ``weekday`` and every
    counted measure (``models.COUNTED``)."""
    from onthaal.reporting.models import COUNTED

    if not rows:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key: tuple[str, ...] = model.KEY  # type: ignore[attr-defined]
    names = [*key, "weekday", *COUNTED]
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join(["%s"] * len(names))
    updates = ", ".join(f"{quote(m)} = {table}.{quote(m)} + excluded.{quote(m)}" for m in COUNTED)
    statement = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - names from the model
        f"ON CONFLICT ({', '.join(quote(k) for k in key)}) DO UPDATE SET {updates}"
    )
    adapt = connection.ops.adapt_datefield_value
    values = [[adapt(row[n]) if n == "service_day" else row[n] for n in names] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)
    return len(values)


def _bucket_sql(column: str, i: int) -> str:
    from onthaal.reporting import histogram

    conditions = [f"{column} IS NOT NULL"]
    if i > 0:
        conditions.append(f"{column} > {histogram.LOWER[i]}")
    if i < histogram.BUCKETS - 1:
        conditions.append(f"{column} <= {histogram.UPPER[i]}")
    return f"SUM(CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END)"


def rebuild_rollups(
    model: type[Model], using: str = "default", key: tuple[str, ...] | None = None
) -> int:
    """Recompute every row of ``model`` from the facts in one ``INSERT ... SELECT ... GROUP
    BY`` (PostgreSQL and SQLite): the bulk loads of history (the benchmark's millions of
    visits), where ``services.rebuild_rollups`` would carry every group through Python.
    ``tests/test_statements.py`` holds the rows equal to ``services.rebuild_rollups``'s.
    ``key``: the model's key, for a migration's historical model (which lacks ``KEY``)."""
    from onthaal.reporting import facts, histogram
    from onthaal.reporting.models import COUNTED, Visit

    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key = key or model.KEY  # type: ignore[attr-defined]
    group = ["COALESCE(queue_id, 0)" if k == "queue_id" else quote(k) for k in key]
    group.append(quote("weekday"))

    def count_if(outcome: str) -> str:
        return f"SUM(CASE WHEN outcome = '{outcome}' THEN 1 ELSE 0 END)"

    sums = {
        "visits": "COUNT(*)",
        "served": count_if(facts.SERVED),
        "no_shows": count_if(facts.NO_SHOW),
        "cancelled": count_if(facts.CANCELLED),
        "transferred": count_if(facts.TRANSFERRED),
        "persons": "COALESCE(SUM(persons), 0)",
        "items": "COALESCE(SUM(items), 0)",
        "wait_count": "COUNT(wait_seconds)",
        "wait_sum": "COALESCE(SUM(wait_seconds), 0)",
        "service_count": "COUNT(service_seconds)",
        "service_sum": "COALESCE(SUM(service_seconds), 0)",
        "booked_minutes": (
            f"COALESCE(SUM(CASE WHEN outcome <> '{facts.CANCELLED}' THEN booked_minutes END), 0)"
        ),
    }
    for measure in histogram.MEASURES:
        for i, name in enumerate(histogram.field_names(measure)):
            sums[name] = _bucket_sql(f"{measure}_seconds", i)
    columns = ", ".join(quote(n) for n in (*key, "weekday", *COUNTED))
    selected = ", ".join([*group, *(sums[n] for n in COUNTED)])
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT {selected} "  # noqa: S608 - names from the model
        f"FROM {quote(Visit._meta.db_table)} GROUP BY {', '.join(group)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the model's table
        cursor.execute(statement)
        return int(cursor.rowcount)


# The columns a rollup sum may be grouped by (``rollup_sums``): the rollups' plain key columns.
SUM_KEYS = frozenset(
    {
        "service_day",
        "weekday",
        "hour",
        "location_id",
        "department_id",
        "queue_id",
        "product_id",
        "channel",
    }
)


def rollup_sums(
    model: type[Model],
    keys: Sequence[str],
    fields: Sequence[str],
    *,
    start: Any,
    end: Any,
    department_ids: Sequence[int],
    location_id: int | None = None,
    product_id: int | None = None,
    channel: str | None = None,
    using: str = "default",
) -> dict[tuple[Any, ...], dict[str, int]]:
    """``{(key values): {field: sum}}`` over the rows of ``model`` (``HourlyRollup``,
    ``DailyRollup``) of the days ``start`` to ``end`` (both included) and the departments,
    location, product and channel given, grouped by the columns ``keys`` (``SUM_KEYS``; none:
    one row, key ``()``, with zeros when nothing matches), in key order.

    What ``selectors.grouped_by`` asks the ORM for (``Coalesce(Sum(field), 0)`` per field),
    written out: the dashboard's two wide sums (every total and the waiting histogram per
    queue; the service histogram, outcomes and booked minutes per place, product and
    channel) have 36 to 42 columns, which the ORM compiled anew on every request.
    ``tests/test_statements.py`` holds the rows equal to the ORM's, on PostgreSQL and
    SQLite."""
    columns = _columns(model)
    unknown = [k for k in keys if k not in SUM_KEYS or k not in columns]
    unknown += [f for f in fields if f not in columns]
    if unknown:
        raise ValueError(f"not a key or a measure of {model.__name__}: {unknown}")
    if not department_ids:  # no department allowed: nothing, as the ORM's empty IN gives
        return {} if keys else {(): dict.fromkeys(fields, 0)}
    connection = connections[using]
    quote = connection.ops.quote_name
    where, params = _where(connection, start, end, department_ids, location_id, product_id, channel)
    selected = [quote(k) for k in keys] + [f"COALESCE(SUM({quote(f)}), 0)" for f in fields]
    statement = (
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names checked above
        f"WHERE {where}"
    )
    if keys:
        statement += f" GROUP BY {', '.join(quote(k) for k in keys)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    width = len(keys)
    day = keys.index("service_day") if "service_day" in keys else None
    out: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in rows:
        key = list(row[:width])
        if day is not None and isinstance(key[day], str):  # SQLite gives dates back as text
            key[day] = _date(key[day])
        out[tuple(key)] = {
            name: int(value) for name, value in zip(fields, row[width:], strict=True)
        }
    return dict(sorted(out.items()))


@functools.cache
def _columns(model: type[Model]) -> frozenset[str]:
    """The column names of ``model`` (read once: a rollup has 80 fields)."""
    return frozenset(str(f.column) for f in model._meta.concrete_fields)


def _date(text: str) -> Any:
    import datetime as dt

    return dt.date.fromisoformat(text[:10])


def _where(
    connection: Any,
    start: Any,
    end: Any,
    department_ids: Sequence[int],
    location_id: int | None,
    product_id: int | None,
    channel: str | None,
) -> tuple[str, list[Any]]:
    """The WHERE clause of a scope over a rollup table, and its parameters."""
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    where = [f"{quote('service_day')} >= %s", f"{quote('service_day')} <= %s"]
    params: list[Any] = [adapt(start), adapt(end)]
    where.append(f"{quote('department_id')} IN ({', '.join(['%s'] * len(department_ids))})")
    params.extend(int(pk) for pk in department_ids)
    for column, value in (
        ("location_id", location_id),
        ("product_id", product_id),
        ("channel", channel or None),
    ):
        if value is not None:
            where.append(f"{quote(column)} = %s")
            params.append(value)
    return " AND ".join(where), params
