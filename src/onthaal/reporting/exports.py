"""Rows of the visits per key, and the files they are exported as (CSV, XLSX with openpyxl).

``visit_rows`` answers ``GET /api/v1/reports/visits/`` and the dashboard's downloads. Counts
and percentiles come from the rollups in one query (percentiles from their histograms of
seconds, ``histogram.py``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from onthaal.catalogue.models import Product
from onthaal.organisation.models import Department
from onthaal.reporting import histogram
from onthaal.reporting.charts import Figure
from onthaal.reporting.models import Channel
from onthaal.reporting.selectors import Scope, grouped, percentiles_of

COLUMNS = (
    "key",
    "name",
    "visits",
    "served",
    "no_shows",
    "cancelled",
    "wait_p50",
    "wait_p90",
    "service_p50",
)
# What the rows need: the counts, and the waiting and service histograms.
FIELDS = (
    "visits",
    "served",
    "no_shows",
    "cancelled",
    *histogram.field_names("wait"),
    *histogram.field_names("service"),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _labels(by: str, keys: Sequence[Any]) -> dict[Any, str]:
    if by == "product":
        names = {p.pk: p.name for p in Product.objects.filter(pk__in=list(keys))}
        return {k: names.get(k, "") for k in keys}
    if by == "department":
        names = {d.pk: d.name for d in Department.objects.filter(pk__in=list(keys))}
        return {k: names.get(k, "") for k in keys}
    if by == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else str(k) for k in keys}
    if by == "weekday":
        from onthaal.hours.models import Weekday

        return {k: str(Weekday(k).label) for k in keys}
    if by == "hour":
        return {k: f"{k:02d}:00" for k in keys}
    return {k: k.isoformat() if isinstance(k, dt.date) else str(k) for k in keys}


def visit_rows(scope: Scope, by: str, *, use_rollups: bool = True) -> list[dict[str, Any]]:
    counts = grouped(scope, by, use_rollups=use_rollups, fields=FIELDS)
    waits = percentiles_of(counts, "wait")
    services = percentiles_of(counts, "service", (50,))
    labels = _labels(by, list(counts))
    rows = []
    for key, sums in counts.items():
        wait = waits.get(key, (None, None))
        rows.append(
            {
                "key": key.isoformat() if isinstance(key, dt.date) else key,
                "name": labels.get(key, ""),
                "visits": sums["visits"],
                "served": sums["served"],
                "no_shows": sums["no_shows"],
                "cancelled": sums["cancelled"],
                "wait_p50": wait[0],
                "wait_p90": wait[1],
                "service_p50": services.get(key, (None,))[0],
            }
        )
    return rows


def _safe(value: Any) -> Any:
    """A cell that a spreadsheet would read as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so Excel reads UTF-8


def as_xlsx(rows: list[dict[str, Any]], figures: Sequence[Figure] = (), title: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "visits"
    if title:
        sheet.append([_safe(title)])
        sheet["A1"].font = Font(bold=True)
    sheet.append(list(COLUMNS))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe(row[c]) for c in COLUMNS])
    for figure in figures:
        page = book.create_sheet(figure.key[:31])
        page.append([_safe(figure.title)])
        page["A1"].font = Font(bold=True)
        page.append([_safe(figure.summary)])
        page.append([_safe(h) for h in figure.headers])
        for cell in page[page.max_row]:
            cell.font = Font(bold=True)
        for table_row in figure.rows:
            page.append([_safe(v) for v in table_row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
