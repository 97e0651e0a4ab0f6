"""The dashboard's figures: KPIs and charts (SVG), each with its table and a summary in words.
One builder for the page, the printout and the yearly PDF."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from onthaal.catalogue.models import QUICK_TARGET_MINUTES, quick_targets
from onthaal.hours.models import Weekday
from onthaal.organisation.models import Department, Location
from onthaal.queue.models import Queue
from onthaal.reporting import advisor, cached, charts, histogram, kpi
from onthaal.reporting.charts import Figure
from onthaal.reporting.models import Channel, QueueTarget
from onthaal.reporting.selectors import (
    DEFAULT_TARGET_SECONDS,
    SERVICE,
    TOTALS,
    WAIT,
    Scope,
    add_up,
    booked_minutes_kept,
    grouped,
    grouped_by,
    grouped_twice,
    percentiles_of,
    regroup,
    service_levels,
    survey_comments,
    survey_scores,
    totals,
)

VISITS = ("visits",)
PRODUCT = ("visits", "items", *SERVICE)  # the product mix, service times, the advice's mix
# Per place, product and channel: the product mix, service times, quick-counter share,
# outcomes per department, booked minutes and the advice's product mix.
PLACE = (*PRODUCT, "no_shows", "cancelled", "booked_minutes")
NONE = "\u2013"  # an en dash: no figure
MINUS = "\u2212"


@dataclass
class Kpi:
    label: str
    value: str
    note: str = ""


@dataclass
class Report:
    scope: Scope
    kpis: list[Kpi]
    figures: list[Figure] = field(default_factory=list)
    advice: list[advisor.PlaceAdvice] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


@dataclass
class Comment:
    """A survey answer's comment as the dashboard lists it."""

    day: dt.date
    department: str
    score: int
    score_label: str
    text: str


def comments(scope: Scope) -> list[Comment]:
    """The latest comments of the satisfaction survey within ``scope``."""
    rows = survey_comments(scope)
    names = {
        d.pk: d.name for d in Department.objects.filter(pk__in={r["department_id"] for r in rows})
    }
    words = [_("very bad"), _("bad"), _("okay"), _("good"), _("very good")]
    return [
        Comment(
            r["service_day"],
            names.get(r["department_id"], "?"),
            r["score"],
            words[r["score"] - 1],
            r["comment"],
        )
        for r in rows
    ]


def n(value: float, digits: int = 0) -> str:
    return number_format(round(value, digits), digits, force_grouping=True)


def pct(part: float, whole: float, digits: int = 0) -> str:
    return f"{n(100 * part / whole, digits)}%" if whole else NONE


def minutes(seconds: float | None) -> str:
    return NONE if seconds is None else n(seconds / 60, 1)


def granularity(scope: Scope) -> str:
    if scope.days <= 62:
        return "day"
    if scope.days <= 370:
        return "week"
    return "month"


def period_keys(start: dt.date, end: dt.date, by: str) -> list[dt.date]:
    if by == "day":
        return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if by == "week":
        first = kpi.week_start(start)
        return [first + dt.timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    keys, month = [], kpi.month_start(start)
    while month <= end:
        keys.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return keys


def key_label(key: dt.date, by: str) -> str:
    if by == "month":
        return date_format(key, "M Y")
    return date_format(key, "j M")


def last_year(scope: Scope, by: str) -> Scope:
    """The same period a year earlier: 52 weeks back for days and weeks (a Monday stays a
    Monday), the same calendar months for months."""
    if by == "month":
        start, end = kpi.same_period_last_year(scope.start, scope.end)
        return scope.shifted(start, end)
    return scope.shifted(scope.start - dt.timedelta(weeks=52), scope.end - dt.timedelta(weeks=52))


def channel_label(value: str) -> str:
    try:
        return str(Channel(value).label)
    except ValueError:
        return value


def visitors_figure(scope: Scope, by: str | None = None) -> tuple[Figure, int, int]:
    by = by or granularity(scope)
    now = grouped(scope, by, fields=VISITS)
    before_scope = last_year(scope, by)
    before = grouped(before_scope, by, fields=VISITS)
    keys = period_keys(scope.start, scope.end, by)
    old_keys = period_keys(before_scope.start, before_scope.end, by)
    values = [now.get(k, {}).get("visits", 0) for k in keys]
    old = [before.get(k, {}).get("visits", 0) if k in before else 0 for k in old_keys]
    old = (old + [0] * len(keys))[: len(keys)]
    total, total_before = sum(values), sum(old)
    unit = {"day": _("per day"), "week": _("per week"), "month": _("per month")}[by]
    title = _("Visitors %(unit)s") % {"unit": unit}
    if total_before:
        change = (total - total_before) / total_before
        summary = _(
            "%(total)s visits, %(change)s %(direction)s than the same period last year "
            "(%(before)s)."
        ) % {
            "total": n(total),
            "change": pct(abs(change), 1),
            "direction": _("more") if change >= 0 else _("fewer"),
            "before": n(total_before),
        }
    else:
        summary = _("%(total)s visits; no figures for the same period last year.") % {
            "total": n(total)
        }
    labels = [key_label(k, by) for k in keys]
    svg = charts.columns(
        labels,
        values,
        title=title,
        desc=summary,
        compare=old if total_before else None,
        value_label=_("this period"),
        compare_label=_("same period last year"),
    )
    figure = Figure(
        "visitors",
        title,
        summary,
        svg,
        [_("Period"), _("Visits"), _("Last year")],
        [[label, n(v), n(o)] for label, v, o in zip(labels, values, old, strict=True)],
    )
    return figure, total, total_before


def heatmap_figure(scope: Scope, counts: dict[tuple[int, int], int] | None = None) -> Figure:
    counts = grouped_twice(scope, "weekday", "hour") if counts is None else counts
    days = kpi.weekday_count(scope.start, scope.end)
    hours = sorted({h for _, h in counts}) or list(range(8, 17))
    hours = list(range(min(hours), max(hours) + 1))
    weekdays = [d for d in range(7) if any(counts.get((d, h)) for h in hours)] or list(range(5))
    grid = [
        [(counts[(d, h)] / days[d]) if counts.get((d, h)) and days[d] else None for h in hours]
        for d in weekdays
    ]
    best = max(
        (
            (v, d, h)
            for d, row in zip(weekdays, grid, strict=True)
            for h, v in zip(hours, row, strict=True)
            if v
        ),
        default=None,
    )
    title = _("Arrivals per hour, by weekday and hour")
    if best:
        summary = _(
            "Busiest on %(day)s %(start)d–%(end)d h: %(n)s visitors per hour on average."  # noqa: RUF001
        ) % {
            "day": Weekday(best[1]).label,
            "start": best[2],
            "end": best[2] + 1,
            "n": n(best[0], 1),
        }
    else:
        summary = _("No visits in this period.")
    labels = [str(Weekday(d).label) for d in weekdays]
    svg = charts.heatmap(labels, [f"{h}" for h in hours], grid, title=title, desc=summary)
    rows = [
        [label] + [n(v, 1) if v else "" for v in row]
        for label, row in zip(labels, grid, strict=True)
    ]
    return Figure("heatmap", title, summary, svg, [_("Weekday")] + [f"{h} h" for h in hours], rows)


def product_figure(
    scope: Scope, names: dict[int, str], per: dict[Any, dict[str, int]] | None = None
) -> Figure:
    per = grouped(scope, "product", fields=PRODUCT) if per is None else per
    total = sum(r["visits"] for r in per.values())
    top = sorted(per.items(), key=lambda kv: -kv[1]["visits"])[:10]
    rows = [
        (
            names.get(pk, _("(no product)")),
            r["visits"],
            f"{n(r['visits'])} ({pct(r['visits'], total)})",
        )
        for pk, r in top
    ]
    title = _("Product mix")
    summary = (
        _("%(product)s is asked for most: %(share)s of the visits.")
        % {"product": rows[0][0], "share": pct(top[0][1]["visits"], total)}
        if rows
        else _("No visits in this period.")
    )
    svg = charts.hbars(rows, title=title, desc=summary)
    table = [
        [name, n(v), pct(v, total), n(per[pk]["items"])]
        for (name, v, _t), (pk, _r) in zip(rows, top, strict=True)
    ]
    return Figure(
        "products", title, summary, svg, [_("Product"), _("Visits"), _("Share"), _("Items")], table
    )


def channel_figure(scope: Scope) -> Figure:
    by = "month" if scope.days > 62 else "week"
    counts = grouped_twice(scope, by, "channel")
    keys = period_keys(scope.start, scope.end, by)
    channels = [c for c in Channel.values if any(counts.get((k, c)) for k in keys)]
    values = [[counts.get((k, c), 0) for c in channels] for k in keys]
    labels = [key_label(k, by) for k in keys]
    title = _("Channel mix over time")
    first = next((row for row in values if sum(row)), None)
    last = next((row for row in reversed(values) if sum(row)), None)
    if first and last and Channel.APPOINTMENT in channels:
        i = channels.index(Channel.APPOINTMENT)
        summary = _("By appointment: from %(first)s to %(last)s of the visits.") % {
            "first": pct(first[i], sum(first)),
            "last": pct(last[i], sum(last)),
        }
    elif first:
        summary = _("%(n)s channels in use.") % {"n": len(channels)}
    else:
        summary = _("No visits in this period.")
    svg = charts.stacked(
        labels, [channel_label(c) for c in channels], values, title=title, desc=summary
    )
    rows = [
        [label] + [pct(v, sum(row)) for v in row] for label, row in zip(labels, values, strict=True)
    ]
    return Figure(
        "channels", title, summary, svg, [_("Period")] + [channel_label(c) for c in channels], rows
    )


def waiting_figure(
    scope: Scope,
    overall: tuple[int | None, ...] | None = None,
    per_queue: dict[Any, dict[str, int]] | None = None,
) -> tuple[Figure, float | None]:
    targets = {t.queue_id: t for t in QueueTarget.objects.all()}
    per_queue = grouped(scope, "queue", fields=WAIT) if per_queue is None else per_queue
    queues = {
        q.pk: q for q in Queue.objects.filter(pk__in=list(per_queue)).select_related("location")
    }
    per = percentiles_of(per_queue, "wait")
    levels = service_levels(per_queue, {pk: t.wait_seconds for pk, t in targets.items()})
    rows, p90s, table = [], [], []
    within_all, called_all = 0.0, 0
    for queue_id, (p50, p90) in sorted(per.items(), key=lambda kv: -(kv[1][1] or 0)):
        queue = queues.get(queue_id)
        name = (
            f"{queue.prefix} {queue.name} ({queue.location.name})" if queue else _("appointments")
        )
        within, called = levels.get(queue_id, (0.0, 0))
        within_all += within
        called_all += called
        target = targets.get(queue_id)
        wait = target.wait_seconds if target else DEFAULT_TARGET_SECONDS
        share = float(target.share) if target else 0.8
        rows.append(
            (
                name,
                (p50 or 0) / 60,
                _("%(p50)s / %(p90)s min") % {"p50": minutes(p50), "p90": minutes(p90)},
            )
        )
        p90s.append((p90 or 0) / 60)
        table.append(
            [
                name,
                n(called),
                minutes(p50),
                minutes(p90),
                _("%(share)s within %(min)s min") % {"share": pct(share, 1), "min": n(wait / 60)},
                pct(within, called),
            ]
        )
    level = within_all / called_all if called_all else None
    title = _("Waiting time (median and 90th percentile) and service level per queue")
    summary = (
        _(
            "Half of the visitors are called within %(p50)s minutes; %(level)s within their queue's target."
        )
        % {
            "p50": minutes(
                (overall or percentiles_of({0: totals(scope)}, "wait").get(0, (None,)))[0]
            ),
            "level": pct(level or 0, 1),
        }
        if called_all
        else _("No visitors were called in this period.")
    )
    svg = charts.hbars(
        rows,
        title=title,
        desc=summary,
        second=p90s,
        first_label=_("median (minutes)"),
        second_label=_("90th percentile"),
    )
    figure = Figure(
        "waiting",
        title,
        summary,
        svg,
        [
            _("Queue"),
            _("Called"),
            _("Median wait (min)"),
            _("90th percentile (min)"),
            _("Target"),
            _("Service level"),
        ],
        table,
    )
    return figure, level


def service_time_figure(
    scope: Scope, names: dict[int, str], counts: dict[Any, dict[str, int]] | None = None
) -> Figure:
    counts = grouped(scope, "product", fields=PRODUCT) if counts is None else counts
    per = percentiles_of(counts, "service")
    top = sorted(per.items(), key=lambda kv: -counts.get(kv[0], {}).get("visits", 0))[:10]
    rows = [
        (
            names.get(pk, _("(no product)")),
            (p50 or 0) / 60,
            _("%(min)s min") % {"min": minutes(p50)},
        )
        for pk, (p50, _p90) in top
    ]
    p90s = [(p90 or 0) / 60 for _pk, (_p50, p90) in top]
    title = _("Service time per product (median and 90th percentile)")
    longest = max(top, key=lambda kv: kv[1][0] or 0, default=None)
    summary = (
        _("%(product)s takes longest: %(min)s minutes (median).")
        % {"product": names.get(longest[0], _("(no product)")), "min": minutes(longest[1][0])}
        if longest
        else _("No services in this period.")
    )
    svg = charts.hbars(
        rows,
        title=title,
        desc=summary,
        second=p90s,
        first_label=_("median (minutes)"),
        second_label=_("90th percentile"),
    )
    table = [
        [r[0], minutes(p50), minutes(p90)] for r, (_pk, (p50, p90)) in zip(rows, top, strict=True)
    ]
    return Figure(
        "service",
        title,
        summary,
        svg,
        [_("Product"), _("Median (min)"), _("90th percentile (min)")],
        table,
    )


@dataclass(frozen=True)
class QuickCounter:
    """The quick counter's visits and how many of its services kept their target."""

    visits: int
    measured: int  # visits with a service time
    within: float  # of those, served within their product's target
    figure: Figure


def quick_figure(
    names: dict[int, str],
    places_rows: dict[tuple[Any, ...], dict[str, int]],
    targets: dict[int, int],
) -> QuickCounter:
    """The quick counter (snelbalie) apart: per product its visits, median service time and
    the share served within the product's target (``catalogue.quick_targets``, 5 minutes by
    default), from the service-time histograms of the rollups' quick-counter rows. A target
    is a whole number of minutes up to 20, a bound of the histogram: the share is exact."""
    per = regroup(places_rows, (2,), PRODUCT, lambda k: k[3] == Channel.QUICK_COUNTER)
    rows, table = [], []
    visits = measured = 0
    within_all = 0.0
    for product_id, row in sorted(per.items(), key=lambda kv: -kv[1]["visits"]):
        target = targets.get(product_id, QUICK_TARGET_MINUTES)
        hist = [row[name] for name in histogram.field_names("service")]
        within = histogram.within(hist, target * 60) if row["service_count"] else 0.0
        p50 = histogram.percentile(hist, 0.5)
        visits += row["visits"]
        measured += row["service_count"]
        within_all += within
        name = names.get(product_id, _("(no product)"))
        share = within / row["service_count"] if row["service_count"] else 0.0
        rows.append((name, 100 * share, pct(within, row["service_count"])))
        table.append(
            [
                name,
                n(row["visits"]),
                minutes(p50),
                _("%(min)s min") % {"min": target},
                pct(within, row["service_count"]),
            ]
        )
    title = _("Quick counter: service time per product and share within the target")
    summary = (
        _("%(visits)s visits at the quick counter; %(share)s served within their target.")
        % {"visits": n(visits), "share": pct(within_all, measured)}
        if visits
        else _("No visits at the quick counter in this period.")
    )
    svg = charts.hbars(
        rows[:10], title=title, desc=summary, first_label=_("served within the target, in percent")
    )
    headers = [
        _("Product"),
        _("Visits"),
        _("Median service time (min)"),
        _("Target"),
        _("Within the target"),
    ]
    figure = Figure("quick", title, summary, svg, headers, table)
    return QuickCounter(visits, measured, within_all, figure)


OUTCOMES = ("visits", "no_shows", "cancelled")


def outcome_figure(
    scope: Scope,
    all_: dict[str, int] | None = None,
    per: dict[Any, dict[str, int]] | None = None,
) -> Figure:
    per = grouped(scope, "department", fields=OUTCOMES) if per is None else per
    names = {d.pk: d.name for d in Department.objects.filter(pk__in=list(per))}
    rows, second, table = [], [], []
    for pk, r in sorted(per.items(), key=lambda kv: names.get(kv[0], "")):
        rate = r["no_shows"] / r["visits"] if r["visits"] else 0
        cancel = r["cancelled"] / r["visits"] if r["visits"] else 0
        rows.append((names.get(pk, "?"), 100 * rate, pct(r["no_shows"], r["visits"], 1)))
        second.append(100 * cancel)
        table.append(
            [
                names.get(pk, "?"),
                n(r["visits"]),
                pct(r["no_shows"], r["visits"], 1),
                pct(r["cancelled"], r["visits"], 1),
            ]
        )
    all_ = totals(scope) if all_ is None else all_
    title = _("No-shows and cancellations per department")
    summary = _("%(no_show)s of the visits were no-shows, %(cancelled)s cancelled.") % {
        "no_show": pct(all_["no_shows"], all_["visits"], 1),
        "cancelled": pct(all_["cancelled"], all_["visits"], 1),
    }
    svg = charts.hbars(
        rows,
        title=title,
        desc=summary,
        second=second,
        first_label=_("no-shows (%)"),
        second_label=_("cancelled (%)"),
    )
    return Figure(
        "outcomes",
        title,
        summary,
        svg,
        [_("Department"), _("Visits"), _("No-shows"), _("Cancelled")],
        table,
    )


def capacity_figure(
    scope: Scope,
    pairs: list[tuple[Location, Department]] | None = None,
    data: advisor.PlaceData | None = None,
    kept: dict[tuple[int, int], int] | None = None,
) -> Figure:
    rows, table = [], []
    kept = booked_minutes_kept(scope) if kept is None else kept
    pairs = advisor.places(scope) if pairs is None else pairs
    data = advisor.place_data(scope, pairs) if data is None else data
    minutes = cached.capacity(scope, pairs, data)
    for location, department in pairs:
        capacity = minutes[(location.pk, department.pk)]
        used = kept.get((location.pk, department.pk), 0)
        if not capacity and not used:
            continue
        label = f"{department.name} ({location.name})"
        share = used / capacity if capacity else 0
        rows.append((label, 100 * min(share, 1.5), pct(used, capacity)))
        table.append([label, n(capacity / 60), n(used / 60), pct(used, capacity)])
    title = _("Use of appointment capacity")
    if rows:
        top = max(rows, key=lambda r: r[1])
        summary = _("%(place)s uses %(share)s of its appointment hours.") % {
            "place": top[0],
            "share": top[2],
        }
    else:
        summary = _("No appointment hours in this period.")
    svg = charts.hbars(rows, title=title, desc=summary)
    return Figure(
        "capacity",
        title,
        summary,
        svg,
        [_("Department"), _("Hours open for appointments"), _("Hours booked"), _("Use")],
        table,
    )


def survey_figure(scope: Scope) -> Figure:
    """The satisfaction survey per department: the share of each score, the mean, and the
    share of satisfied visitors (4 or 5)."""
    per = survey_scores(scope)
    names = {d.pk: d.name for d in Department.objects.filter(pk__in=list(per))}
    scores = (1, 2, 3, 4, 5)
    words = [_("very bad"), _("bad"), _("okay"), _("good"), _("very good")]
    order = sorted(per, key=lambda pk: names.get(pk, ""))
    labels = [names.get(pk, "?") for pk in order]
    values = [[per[pk].get(s, 0) for s in scores] for pk in order]
    table = []
    for label, row in zip(labels, values, strict=True):
        count = sum(row)
        mean = sum(s * c for s, c in zip(scores, row, strict=True)) / count
        table.append(
            [label, n(count), *[n(c) for c in row], n(mean, 1), pct(row[3] + row[4], count)]
        )
    total = sum(sum(row) for row in values)
    title = _("Satisfaction survey per department")
    if total:
        mean = sum(s * c for row in values for s, c in zip(scores, row, strict=True)) / total
        happy = sum(row[3] + row[4] for row in values)
        summary = _(
            "%(n)s answers: on average %(mean)s out of 5; %(share)s were satisfied (good or very good)."
        ) % {"n": n(total), "mean": n(mean, 1), "share": pct(happy, total)}
    else:
        summary = _("No survey answers in this period.")
    svg = charts.stacked(labels, words, values, title=title, desc=summary)
    return Figure(
        "survey",
        title,
        summary,
        svg,
        [_("Department"), _("Answers"), *words, _("Mean (1–5)"), _("Satisfied")],  # noqa: RUF001
        table,
    )


def desks_figure(places: list[advisor.PlaceAdvice]) -> Figure | None:
    """Desks needed (Erlang C) against desks planned, weekday x hour, for the busiest place."""
    if not places:
        return None
    place = max(places, key=lambda p: sum(need.cell.arrivals_per_hour for need in p.needs))
    weekdays = sorted({need.cell.weekday for need in place.needs})
    hours = sorted({need.cell.hour for need in place.needs})
    if not weekdays:
        return None
    lookup = {(need.cell.weekday, need.cell.hour): need for need in place.needs}
    grid: list[list[float | None]] = []
    texts: list[list[str]] = []
    short = 0
    for d in weekdays:
        row: list[float | None] = []
        row_texts: list[str] = []
        for h in hours:
            need = lookup.get((d, h))
            if need is None:
                row.append(None)
                row_texts.append("")
                continue
            planned = need.cell.planned_desks
            short += need.desks_needed > planned
            # Darker: the planned desks are more used (past 100 %: too few desks).
            row.append(
                need.desks_needed / planned if planned else (2.0 if need.desks_needed else 0.0)
            )
            row_texts.append(f"{need.desks_needed}/{need.cell.planned_desks}")
        grid.append(row)
        texts.append(row_texts)
    title = _("Desks needed / planned — %(department)s, %(location)s") % {
        "department": place.department.name,
        "location": place.location.name,
    }
    summary = _(
        "In %(n)d hours of the week more desks are needed than planned (darker: the planned desks are busier)."
    ) % {"n": short}
    labels = [str(Weekday(d).label) for d in weekdays]
    svg = charts.heatmap(
        labels, [str(h) for h in hours], grid, title=title, desc=summary, texts=texts, peak=1.0
    )
    rows = [[label, *row] for label, row in zip(labels, texts, strict=True)]
    return Figure("desks", title, summary, svg, [_("Weekday")] + [f"{h} h" for h in hours], rows)


def build(scope: Scope, *, with_advice: bool = True, by: str | None = None) -> Report:
    from onthaal.catalogue.models import Product

    names = {p.pk: p.name for p in Product.objects.all()}
    pairs = advisor.places(scope)
    data = advisor.place_data(scope, pairs)
    visitors, total, total_before = visitors_figure(scope, by)
    # Rows read once and shared between the figures (each query scans the period's rollup
    # rows): per queue every total; per place, product and channel what the product mix,
    # service times, quick-counter share, outcomes, capacity and advice need; per place and
    # hour the heat map and the advice.
    per_queue = grouped(scope, "queue", fields=TOTALS)
    all_ = add_up(per_queue.values(), TOTALS)
    places_rows = grouped_by(scope, ("location", "department", "product", "channel"), fields=PLACE)
    per_product = regroup(places_rows, (2,), PRODUCT)
    per_channel = regroup(places_rows, (3,), VISITS)
    per_department = regroup(places_rows, (1,), OUTCOMES)
    kept = {
        key: row["booked_minutes"]
        for key, row in regroup(
            places_rows, (0, 1), ("booked_minutes",), lambda k: k[3] == Channel.APPOINTMENT
        ).items()
    }
    per_place: advisor.PerPlace = {}
    for (location_id, department_id, product_id, _channel), row in places_rows.items():
        mine = per_place.setdefault((location_id, department_id), {}).setdefault(
            product_id, {"visits": 0, "service_sum": 0, "service_count": 0}
        )
        for name in mine:
            mine[name] += row[name]
    measured, heat = advisor.measured_hours(scope)
    waits = percentiles_of({0: all_}, "wait").get(0, (None, None))
    waiting, level = waiting_figure(scope, waits, per_queue)
    quick = per_channel.get(Channel.QUICK_COUNTER, {}).get("visits", 0)
    counter = quick_figure(names, places_rows, quick_targets())
    kpis = [
        Kpi(
            _("Visits"),
            n(total),
            _("last year: %(n)s") % {"n": n(total_before)} if total_before else "",
        ),
        Kpi(
            _("Median wait"),
            _("%(min)s min") % {"min": minutes(waits[0])},
            _("90%%: %(min)s min") % {"min": minutes(waits[1])},
        ),
        Kpi(
            _("Service level"),
            pct(level or 0, 1) if level is not None else NONE,
            _("called within the queue's target"),
        ),
        Kpi(
            _("No-shows"),
            pct(all_["no_shows"], all_["visits"], 1),
            _("cancelled: %(p)s") % {"p": pct(all_["cancelled"], all_["visits"], 1)},
        ),
        Kpi(_("Quick counter"), pct(quick, all_["visits"]), _("of all visits")),
        Kpi(
            _("Quick counter within target"),
            pct(counter.within, counter.measured),
            _("served within the product's target"),
        ),
    ]
    figures = [
        visitors,
        heatmap_figure(scope, heat),
        product_figure(scope, names, per_product),
        channel_figure(scope),
        waiting,
        service_time_figure(scope, names, per_product),
        counter.figure,
        outcome_figure(scope, all_, per_department),
        capacity_figure(scope, pairs, data, kept),
        survey_figure(scope),
    ]
    places = (
        cached.advice(scope, pairs, data, measured=measured, per_place=per_place)
        if with_advice
        else []
    )
    desks = desks_figure(places)
    if desks is not None:
        figures.append(desks)
    return Report(scope, kpis, figures, places, comments(scope))


@dataclass
class BalanceRow:
    """A department's balance figures at a location (``staffing.balance``): the share of
    open hours covered, the hours with one person alone, the requests refused for coverage."""

    location: str
    department: str
    covered: str
    alone_hours: int
    refused_for_coverage: int


def balance_week(scope: Scope) -> dt.date:
    """The Monday of the week the balance figures are of: the week of the period's end, this
    week at the latest."""
    from onthaal.core import clock

    return kpi.week_start(min(scope.end, clock.today()))


def department_balance(scope: Scope, monday: dt.date) -> list[BalanceRow]:
    """The staffing balance per department within ``scope`` (its departments and location),
    at each location where one of them has people: no names, only the department figures."""
    from onthaal.staffing import balance
    from onthaal.staffing.models import StaffProfile

    staffed = set(
        StaffProfile.objects.filter(
            department_id__in=scope.department_ids, user__is_active=True
        ).values_list("department_id", flat=True)
    )
    if not staffed:
        return []
    locations = Location.objects.filter(departments__in=staffed).distinct().order_by("name")
    if scope.location_id is not None:
        locations = locations.filter(pk=scope.location_id)
    rows = []
    for location in locations:
        figures = balance.figures(location, monday, sorted(staffed))
        if not figures["people"]:
            continue
        for d in figures["departments"]:
            rows.append(
                BalanceRow(
                    location=location.name,
                    department=d.name,
                    covered=NONE if d.covered_share is None else pct(d.covered_share, 1),
                    alone_hours=d.alone_hours,
                    refused_for_coverage=d.refused_for_coverage,
                )
            )
    return rows


def comparison(first: Scope, second: Scope) -> list[list[str]]:
    """KPIs of two periods side by side, with the change."""

    def figures(scope: Scope) -> dict[str, float | None]:
        t = totals(scope)
        waits = percentiles_of({0: t}, "wait").get(0, (None, None))
        per_day = t["visits"] / scope.days
        return {
            "visits": t["visits"],
            "per_day": per_day,
            "p50": waits[0] / 60 if waits[0] is not None else None,
            "p90": waits[1] / 60 if waits[1] is not None else None,
            "no_shows": 100 * t["no_shows"] / t["visits"] if t["visits"] else None,
            "service": t["service_sum"] / t["service_count"] / 60 if t["service_count"] else None,
        }

    a, b = figures(first), figures(second)
    labels = {
        "visits": _("Visits"),
        "per_day": _("Visits per day"),
        "p50": _("Median wait (min)"),
        "p90": _("90th percentile wait (min)"),
        "no_shows": _("No-shows (%)"),
        "service": _("Mean service time (min)"),
    }
    rows = []
    for key, label in labels.items():
        x, y = a[key], b[key]
        change = (
            NONE
            if x in (None, 0) or y is None
            else f"{'+' if y >= x else MINUS}{pct(abs(y - x), x)}"
        )
        digits = 0 if key == "visits" else 1
        rows.append(
            [
                label,
                NONE if x is None else n(x, digits),
                NONE if y is None else n(y, digits),
                change,
            ]
        )
    return rows


def describe_scope(scope: Scope) -> str:
    parts = [
        _("%(start)s to %(end)s")
        % {"start": date_format(scope.start), "end": date_format(scope.end)}
    ]
    if scope.location_id:
        parts.append(str(Location.objects.filter(pk=scope.location_id).first() or ""))
    return ", ".join(parts)


__all__: list[Any] = ["Report", "build", "comparison"]
