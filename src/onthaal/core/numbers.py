"""Reading whole numbers from request text.

``str.isdigit()`` is not the test: it is true for "³" and "①", which ``int()`` refuses, and for
a hundred digits, which no database column holds. A request with such text gets a field error,
never a server error.
"""

from __future__ import annotations

import re

_NATURAL = re.compile(r"[0-9]{1,18}")


def natural(text: object) -> int | None:
    """``text`` as a whole number >= 0 when it is 1 to 18 ASCII digits, else None."""
    value = str(text).strip()
    return int(value) if _NATURAL.fullmatch(value) else None
