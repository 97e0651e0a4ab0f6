"""Server-rendered SVG charts: one source for the page, the printout and the PDF. No Django,
no JavaScript. Every chart is a ``role="img"`` with a title and a description; the page puts
its data table and a one-line summary next to it.

Text is escaped here (``html.escape``); the result is markup that templates mark safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import count

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
PALETTE = ("#0b5394", "#b45f06", "#38761d", "#741b47", "#3d6e99", "#7f6000", "#5b5b5b")
COMPARE = "#b45f06"
INK = "#1b1f23"
MUTED = "#4a5560"
GRID = "#d0d7de"
FONT = 'font-family="DejaVu Sans, Segoe UI, sans-serif"'

_ids = count(1)


@dataclass
class Figure:
    """A chart with what goes with it: its summary in words and its data as a table."""

    key: str
    title: str
    summary: str
    svg: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _open(width: int, height: int, title: str, desc: str) -> tuple[str, str]:
    n = next(_ids)
    ident = f"chart-{n}"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-labelledby="{ident}-t {ident}-d" {FONT}>'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )
    return head, "</svg>"


def nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover


def _number(value: float) -> str:
    if value >= 10 or value == int(value):
        return f"{value:,.0f}".replace(",", ".")
    return f"{value:.1f}".replace(".", ",")


def columns(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    desc: str,
    compare: Sequence[float | None] | None = None,
    compare_label: str = "",
    value_label: str = "",
    width: int = 600,
    height: int = 260,
) -> str:
    """Vertical columns, with an optional comparison drawn as a line with dots (e.g. the same
    period last year)."""
    left, right, top, bottom = 48, 12, 26, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max([*values, *[c or 0 for c in compare or []], 0]))
    head, tail = _open(width, height, title, desc)
    parts = [head]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}">{_number(peak * i / 4)}</text>'
        )
    n = max(1, len(values))
    slot = plot_w / n
    bar = max(2.0, slot * 0.7)
    every = max(1, math.ceil(n / 9))
    points = []
    for i, value in enumerate(values):
        x = left + i * slot + (slot - bar) / 2
        h = plot_h * value / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
            f'fill="{PALETTE[0]}" rx="2"><title>{escape(labels[i])}: {_number(value)}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="12" fill="{INK}">{escape(labels[i])}</text>'
            )
        if compare is not None and i < len(compare) and compare[i] is not None:
            points.append((x + bar / 2, top + plot_h - plot_h * (compare[i] or 0) / peak))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{COMPARE}" stroke-width="2.5" '
            'stroke-dasharray="6 3"/>'
        )
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COMPARE}"/>' for x, y in points
        )
    legend_y = height - 10
    parts.append(
        f'<rect x="{left}" y="{legend_y - 9}" width="12" height="10" fill="{PALETTE[0]}"/>'
        f'<text x="{left + 16}" y="{legend_y}" font-size="12" fill="{INK}">'
        f"{escape(value_label)}</text>"
    )
    if points:
        parts.append(
            f'<line x1="{left + 150}" x2="{left + 172}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
            f'stroke="{COMPARE}" stroke-width="2.5" stroke-dasharray="6 3"/>'
            f'<text x="{left + 178}" y="{legend_y}" font-size="12" fill="{INK}">'
            f"{escape(compare_label)}</text>"
        )
    parts.append(tail)
    return "".join(parts)


def hbars(
    rows: Sequence[tuple[str, float, str]],
    *,
    title: str,
    desc: str,
    width: int = 600,
    second: Sequence[float] | None = None,
    second_label: str = "",
    first_label: str = "",
) -> str:
    """Horizontal bars, one row per (label, value, text shown after the bar); with
    ``second``, a thinner second bar under each (p90 under p50)."""
    label_w, right, row_h, top = 190, 80, 30 if second is None else 40, 8
    legend = 24 if second is not None else 0
    height = top + row_h * max(1, len(rows)) + legend + 6
    peak = nice_max(max([v for _, v, _ in rows] + list(second or []) + [0]))
    plot_w = width - label_w - right
    head, tail = _open(width, height, title, desc)
    parts = [head]
    for i, (label, value, text) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * value / peak
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="16" '
            f'fill="{PALETTE[0]}" rx="2"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12" fill="{INK}">'
            f"{escape(text)}</text>"
        )
        if second is not None:
            w2 = plot_w * second[i] / peak
            parts.append(
                f'<rect x="{label_w}" y="{y + 22}" width="{max(w2, 1):.1f}" height="9" '
                f'fill="{COMPARE}" rx="2"/>'
            )
    if second is not None:
        y = height - 12
        parts.append(
            f'<rect x="{label_w}" y="{y - 9}" width="12" height="10" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + 16}" y="{y}" font-size="12" fill="{INK}">'
            f"{escape(first_label)}</text>"
            f'<rect x="{label_w + 160}" y="{y - 9}" width="12" height="10" fill="{COMPARE}"/>'
            f'<text x="{label_w + 176}" y="{y}" font-size="12" fill="{INK}">'
            f"{escape(second_label)}</text>"
        )
    parts.append(tail)
    return "".join(parts)


def stacked(
    labels: Sequence[str],
    categories: Sequence[str],
    values: Sequence[Sequence[float]],
    *,
    title: str,
    desc: str,
    width: int = 600,
    height: int = 290,
) -> str:
    """100 % stacked columns: ``values[i][j]`` is category j in column i."""
    left, right, top, bottom = 44, 12, 12, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    head, tail = _open(width, height, title, desc)
    parts = [head]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{MUTED}">{25 * i}%</text>'
        )
    n = max(1, len(labels))
    slot = plot_w / n
    bar = max(2.0, slot * 0.75)
    every = max(1, math.ceil(n / 9))
    for i, column in enumerate(values):
        total = sum(column) or 1
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for j, value in enumerate(column):
            h = plot_h * value / total
            y -= h
            if h > 0:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#fff" stroke-width=".5"/>'
                )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'font-size="12" fill="{INK}">{escape(labels[i])}</text>'
            )
    x = left
    for j, category in enumerate(categories):
        parts.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
            f'fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="{height - 12}" font-size="12" fill="{INK}">'
            f"{escape(category)}</text>"
        )
        x += 24 + 7 * len(category)
    parts.append(tail)
    return "".join(parts)


def _heat_colour(share: float) -> tuple[str, str]:
    """A blue scale from pale to dark, and the text colour that stays readable on it."""
    share = max(0.0, min(1.0, share))
    light, dark = (239, 245, 251), (8, 48, 107)
    r, g, b = (round(lo + (hi - lo) * share) for lo, hi in zip(light, dark, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}", "#ffffff" if share > 0.5 else INK


def heatmap(
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    desc: str,
    width: int = 600,
    texts: Sequence[Sequence[str]] | None = None,
    peak: float | None = None,
) -> str:
    """A grid (weekdays x hours) coloured by value, each cell with its number (or with
    ``texts[i][j]`` when given)."""
    left, top, cell_h = 80, 24, 30
    cell_w = (width - left - 8) / max(1, len(column_labels))
    height = top + cell_h * len(row_labels) + 8
    peak = peak or max([v for row in values for v in row if v is not None] + [0]) or 1
    head, tail = _open(width, height, title, desc)
    parts = [head]
    for j, label in enumerate(column_labels):
        parts.append(
            f'<text x="{left + j * cell_w + cell_w / 2:.1f}" y="{top - 8}" text-anchor="middle" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
        )
    for i, label in enumerate(row_labels):
        y = top + i * cell_h
        parts.append(
            f'<text x="{left - 8}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
        )
        for j, value in enumerate(values[i]):
            x = left + j * cell_w
            if value is None:
                parts.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" '
                    f'fill="#f6f8fa"/>'
                )
                continue
            fill, ink = _heat_colour(value / peak)
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" '
                f'fill="{fill}" rx="2"/>'
                f'<text x="{x + cell_w / 2 - 1:.1f}" y="{y + cell_h / 2 + 3:.1f}" '
                f'text-anchor="middle" font-size="12" fill="{ink}">'
                f"{escape(texts[i][j]) if texts is not None else _number(value)}</text>"
            )
    parts.append(tail)
    return "".join(parts)
