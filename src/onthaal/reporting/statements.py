"""Hand-written SQL of the figures: nearest-rank percentiles per group.

Django has no percentile aggregate. The ORM builds the filtered, keyed rows (so every filter and
grouping key is the ORM's own, on every database); this module wraps them in one window
statement that picks, per group, the value at rank ceil(p * n) — ``kpi.percentile``'s
definition, PostgreSQL's ``percentile_disc``. Integer arithmetic ((pct * n + 99) / 100) keeps
it the same on PostgreSQL and SQLite. ``tests/test_percentiles.py`` holds it equal to
``kpi.percentile`` on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Expression, F, QuerySet, Value

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
    columns = ", ".join(
        f"MIN(CASE WHEN rn = ({int(p)} * n + 99) / 100 THEN x END) AS p{int(p)}" for p in pcts
    )
    statement = PERCENTILE_SQL.format(columns=columns, inner=sql)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(statement, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}
