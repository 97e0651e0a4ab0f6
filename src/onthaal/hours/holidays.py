"""Belgian public holidays, named in the language asked (Dutch by default)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays as holidays_lib

SUPPORTED = {"nl": "nl", "fr": "fr", "en": "en_US"}


@lru_cache(maxsize=64)
def _year(year: int, language: str) -> dict[dt.date, str]:
    found = holidays_lib.country_holidays("BE", years=year, language=SUPPORTED.get(language, "nl"))
    return dict(found.items())


def public_holidays(start: dt.date, end: dt.date, language: str = "nl") -> dict[dt.date, str]:
    """Belgium's public holidays from ``start`` to ``end`` (included), date -> name."""
    found: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        found.update({d: n for d, n in _year(year, language).items() if start <= d <= end})
    return found
