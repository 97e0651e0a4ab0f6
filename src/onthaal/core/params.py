"""Reading request parameters: the one place where text from a staff form or a query string
becomes an id, a day or an instant.

Text that is not what the field asks for raises ``InvalidInput``, which every page and the API
answer with a 400 and the field's message (``core.middleware.DomainErrorMiddleware``,
``api.errors.exception_handler``) — never a server error, and before anything is written. An
empty field is "not given" (None): whether that is allowed is the view's question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from onthaal.core.errors import InvalidInput
from onthaal.core.numbers import natural

# Days and instants outside these years are refused: no agenda, opening hour or appointment
# lies there, and near the ends of the calendar (year 1 and 9999) the day after, the day
# before or the conversion to UTC does not exist.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def pk(data: Mapping[str, Any], name: str) -> int | None:
    """The id chosen in field ``name`` (a whole number from 1), None when the field is empty."""
    text = _text(data, name)
    if not text:
        return None
    value = natural(text)
    if not value:  # not 1 to 18 ASCII digits, or 0
        raise InvalidInput(name, _("Choose one of the options given."))
    return value


def count(data: Mapping[str, Any], name: str) -> int | None:
    """The whole number (from 0) in field ``name``, None when the field is empty."""
    text = _text(data, name)
    if not text:
        return None
    value = natural(text)
    if value is None:
        raise InvalidInput(name, _("Give a whole number."))
    return value


def flag(data: Mapping[str, Any], name: str) -> bool:
    """A yes/no field: "1" or "on" (a ticked checkbox) is yes, "0" or empty is no."""
    text = _text(data, name)
    if text in ("1", "on"):
        return True
    if text in ("", "0"):
        return False
    raise InvalidInput(name, _("Give 1 (yes) or 0 (no)."))


def day(data: Mapping[str, Any], name: str) -> dt.date | None:
    """The day in field ``name`` (YYYY-MM-DD, years 1900 to 2999), None when empty."""
    text = _text(data, name)
    if not text:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        raise InvalidInput(name, _("Give a day as year-month-day, between 1900 and 2999."))
    return value


def instant(data: Mapping[str, Any], name: str) -> dt.datetime | None:
    """The time in field ``name``: ISO 8601 with its offset, years 1900 to 2999; None when
    empty."""
    text = _text(data, name)
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    if (
        value is None
        or value.tzinfo is None
        or value.utcoffset() is None
        or not FIRST_DAY < value.date() < LAST_DAY
    ):
        raise InvalidInput(name, _("Give a time with its offset, e.g. 2027-03-24T09:00:00+01:00."))
    return value
