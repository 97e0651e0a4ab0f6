"""Zonnedoorn's house style: a sun rising over a green hill, drawn here (no third-party
artwork), in the municipality's green and sun yellow."""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw

from onthaal.organisation.models import Organisation
from onthaal.organisation.services import organisation_theme_set

GREEN = "#1d5c4d"  # the primary colour: white text on it 7.8:1
SUN = "#f6c445"  # the accent: on the dark header 7.5:1
SUN_DEEP = "#e0a800"  # the sun in the logo, on white


def _rays(
    cx: float, cy: float, inner: float, outer: float
) -> list[tuple[float, float, float, float]]:
    """Seven rays over the horizon, from 180° to 360°."""
    rays = []
    for i in range(7):
        angle = math.pi + math.pi * (i + 0.5) / 7
        cos, sin = math.cos(angle), math.sin(angle)
        rays.append((cx + inner * cos, cy + inner * sin, cx + outer * cos, cy + outer * sin))
    return rays


def logo_svg() -> bytes:
    """The logo: 64 by 64, a sun with rays and a hill in front of it."""
    rays = "".join(
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
        for x1, y1, x2, y2 in _rays(32, 40, 18, 27)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        "<title>Zonnedoorn</title>"
        f'<circle cx="32" cy="40" r="14" fill="{SUN_DEEP}"/>'
        f'<g stroke="{SUN_DEEP}" stroke-width="4" stroke-linecap="round">{rays}</g>'
        f'<path d="M0 64V48Q16 38 32 44T64 42V64Z" fill="{GREEN}"/>'
        '<path d="M22 52l3-5 3 5M38 54l3-5 3 5" fill="none" stroke="#ffffff" '
        'stroke-width="2" stroke-linejoin="round"/>'
        "</svg>"
    ).encode()


def favicon_png() -> bytes:
    """The favicon: the same sun and hill, 64 by 64 PNG on a transparent background."""
    size, scale = 64, 4  # drawn 4 times larger and scaled down, for smooth edges
    image = Image.new("RGBA", (size * scale, size * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    s = scale
    draw.ellipse((18 * s, 26 * s, 46 * s, 54 * s), fill=SUN_DEEP)
    for x1, y1, x2, y2 in _rays(32 * s, 40 * s, 18 * s, 27 * s):
        draw.line((x1, y1, x2, y2), fill=SUN_DEEP, width=5 * s)
    draw.ellipse((-24 * s, 42 * s, 88 * s, 110 * s), fill=GREEN)
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()


def load_demo_theme(gemeente: Organisation) -> None:
    """Give the municipality its theme; the OCMW wears it too (one local administration)."""
    organisation_theme_set(
        actor=None,
        organisation=gemeente,
        primary_colour=GREEN,
        accent_colour=SUN,
        logo=logo_svg(),
        favicon=favicon_png(),
    )
