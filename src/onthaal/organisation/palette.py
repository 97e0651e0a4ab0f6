"""An organisation's colours: the palette the pages use, derived from two colours, and the
contrast checks that keep its text readable (WCAG 2.1 AA: 4.5:1 for normal text).

Pure Python, no Django. The stylesheet (:func:`css`) and the check (:func:`problems`) read the
same :func:`pairs`, so every pair of colours the pages put text on is checked, and nothing the
check accepts can give unreadable text.

* ``primary``: links, buttons and the staff menu (white text on it, and it as text on white,
  on the page's grey background and on its own light tint). Darker shades of it make the
  header and the waiting-room screen.
* ``accent``: text on those dark surfaces (the name in the header, the screen's headings),
  and a band under the header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
AA_TEXT = 4.5  # WCAG 2.1 AA, text of normal size

WHITE = "#ffffff"
BLACK = "#000000"
PAGE = "#f3f5f7"  # the page background of onthaal.css (--soft)
DEFAULT_PRIMARY = "#0b5394"  # onthaal.css --brand


def parse(colour: str) -> tuple[int, int, int]:
    if not HEX.match(colour):
        raise ValueError(f"not a colour of the form #rrggbb: {colour!r}")
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1)."""
    r, g, b = parse(colour)
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    """Contrast ratio of two colours, 1 to 21 (WCAG 2.1)."""
    la, lb = luminance(a), luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: str, b: str, weight_b: float) -> str:
    """``a`` with ``weight_b`` (0 to 1) of ``b`` mixed in, channel by channel (sRGB)."""
    ra, rb = parse(a), parse(b)
    mixed = tuple(round(x + (y - x) * weight_b) for x, y in zip(ra, rb, strict=True))
    return to_hex((mixed[0], mixed[1], mixed[2]))


@dataclass(frozen=True)
class Palette:
    brand: str  # links, buttons, staff menu
    brand_dark: str  # header, hover
    brand_tint: str  # highlighted rows and days
    accent: str  # text on the dark surfaces, the band under the header
    screen: str  # the waiting-room screen's background


def palette(primary: str = "", accent: str = "") -> Palette:
    """The palette of ``primary`` and ``accent`` (either may be empty: Onthaal's blue, and a
    light tint of the primary)."""
    brand = (primary or DEFAULT_PRIMARY).lower()
    return Palette(
        brand=brand,
        brand_dark=mix(brand, BLACK, 0.35),
        brand_tint=mix(brand, WHITE, 0.9),
        accent=(accent or mix(brand, WHITE, 0.8)).lower(),
        screen=mix(brand, BLACK, 0.75),
    )


@dataclass(frozen=True)
class Pair:
    field: str  # "primary" or "accent": the colour to change when the pair fails
    foreground: str
    background: str
    where: str  # which text on the pages (a key; organisation.models.PAIR_LABELS names it)


def pairs(p: Palette) -> list[Pair]:
    """Every text/background pair of the palette that the pages use."""
    return [
        Pair("primary", WHITE, p.brand, "buttons"),
        Pair("primary", p.brand, WHITE, "links"),
        Pair("primary", p.brand, PAGE, "page"),
        Pair("primary", p.brand, p.brand_tint, "tint"),
        Pair("primary", WHITE, p.brand_dark, "header"),
        Pair("primary", p.brand_dark, WHITE, "menu"),
        Pair("accent", p.accent, p.brand_dark, "header-accent"),
        Pair("accent", p.accent, p.screen, "screen-accent"),
    ]


@dataclass(frozen=True)
class Problem:
    field: str
    ratio: float
    foreground: str
    background: str
    where: str


def problems(primary: str = "", accent: str = "") -> list[Problem]:
    """The pairs of the palette whose contrast is under AA, first the primary's."""
    found = []
    for pair in pairs(palette(primary, accent)):
        ratio = contrast(pair.foreground, pair.background)
        if ratio < AA_TEXT:
            found.append(Problem(pair.field, ratio, pair.foreground, pair.background, pair.where))
    return found


def css(p: Palette) -> str:
    """The stylesheet that sets the palette as onthaal.css's custom properties."""
    return (
        ":root {\n"
        f"  --brand: {p.brand};\n"
        f"  --brand-dark: {p.brand_dark};\n"
        f"  --brand-tint: {p.brand_tint};\n"
        f"  --accent: {p.accent};\n"
        f"  --screen-bg: {p.screen};\n"
        "}\n"
    )
