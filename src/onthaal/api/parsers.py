"""The API's JSON parser: DRF's, with a bound on nesting.

Python's decoder recurses once per level: a body nested 1,000 deep raised RecursionError, which
DRF does not catch (a 500). No request of the API nests deeper than a few levels, so anything
deeper than ``MAX_DEPTH`` is a 400 (``parse_error``), whether the decoder or the walk finds it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (a scalar: 0), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        message = _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if depth(data) > MAX_DEPTH:
            raise ParseError(message)
        return data
