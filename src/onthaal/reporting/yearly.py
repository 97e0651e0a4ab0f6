"""The yearly report: the document a board puts in its annual report. One HTML template, turned
into PDF by WeasyPrint; the same figures (and SVG charts) as the dashboard."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from onthaal.core import clock
from onthaal.organisation.models import Organisation
from onthaal.reporting import report, selectors
from onthaal.reporting.exports import visit_rows

log = logging.getLogger(__name__)


def _year_scope(request: HttpRequest, year: int) -> selectors.Scope:
    end = min(dt.date(year, 12, 31), clock.today() - dt.timedelta(days=1))
    return selectors.scope_for(
        request.user, start=dt.date(year, 1, 1), end=max(end, dt.date(year, 1, 1))
    )


def _trend_rows(now: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[list[str]]:
    old = {r["key"]: r["visits"] for r in before}
    rows = []
    for row in sorted(now, key=lambda r: -r["visits"]):
        was = old.get(row["key"], 0)
        change = report.pct(row["visits"] - was, was) if was else report.NONE
        if was and row["visits"] >= was:
            change = "+" + change
        rows.append([row["name"] or report.NONE, report.n(row["visits"]), report.n(was), change])
    return rows


def context(request: HttpRequest, year: int) -> dict[str, Any]:
    scope = _year_scope(request, year)
    previous = scope.shifted(dt.date(year - 1, 1, 1), scope.end.replace(year=year - 1))
    built = report.build(scope, by="month")
    return {
        "year": year,
        "scope": scope,
        "report": built,
        "organisations": list(Organisation.objects.order_by("kind", "name")),
        "comparison": report.comparison(previous, scope),
        "previous": previous,
        "channels": _trend_rows(visit_rows(scope, "channel"), visit_rows(previous, "channel")),
        "products": _trend_rows(visit_rows(scope, "product"), visit_rows(previous, "product"))[:15],
        "made_at": clock.local_now(),
    }


def render(request: HttpRequest, year: int) -> tuple[bytes | None, str]:
    """(PDF, HTML) of the yearly report; PDF is None when WeasyPrint cannot run here (its
    system libraries, Pango, are missing): the HTML then says so and prints from the browser."""
    values = context(request, year)
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # pragma: no cover - depends on the machine
        log.warning("yearly report as HTML: WeasyPrint is not available (%s)", error)
        values["no_pdf"] = True
        return None, render_to_string("reporting/year.html", values, request=request)
    html = render_to_string("reporting/year.html", values, request=request)
    return HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(), html
