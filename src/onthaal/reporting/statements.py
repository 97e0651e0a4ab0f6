"""Hand-written SQL of the figures: nearest-rank percentiles per group, and bulk inserts.

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


ROLLUP_KEY = ("service_day", "hour", "location_id", "department_id", "product_id", "channel")


def add_to_rollups(rows: Sequence[dict[str, Any]], using: str = "default") -> int:
    """Add each row's measures to its rollup row, creating it when missing: one
    ``INSERT ... ON CONFLICT (the rollup's key) DO UPDATE SET m = m + excluded.m`` executed
    for all rows (PostgreSQL and SQLite 3.24+). Replaces reading the rows, adding in Python and
    ``bulk_update`` — whose CASE per column took minutes for 10,000 visits
    (``bench/bench_reporting.py``). ``rows`` hold the key, ``weekday`` and every measure."""
    from onthaal.reporting.models import MEASURES, HourlyRollup

    if not rows:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(HourlyRollup._meta.db_table)
    names = [*ROLLUP_KEY, "weekday", *MEASURES]
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join(["%s"] * len(names))
    updates = ", ".join(f"{quote(m)} = {table}.{quote(m)} + excluded.{quote(m)}" for m in MEASURES)
    statement = (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608 - names from the model
        f"ON CONFLICT ({', '.join(quote(k) for k in ROLLUP_KEY)}) DO UPDATE SET {updates}"
    )
    adapt = connection.ops.adapt_datefield_value
    values = [[adapt(row["service_day"]), *[row[n] for n in names[1:]]] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)
    return len(values)
