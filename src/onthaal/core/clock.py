"""The one source of "now". Tests move it with time-machine (``tick=False``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(tz=dt.UTC)


def local_now() -> dt.datetime:
    """The current instant on the wall clock of Europe/Brussels."""
    return now().astimezone(BRUSSELS)


def today() -> dt.date:
    """Today's date in Europe/Brussels (a service day starts at local midnight)."""
    return local_now().date()
