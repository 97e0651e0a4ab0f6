"""Paging of API lists: ``limit`` and ``offset``, bounded so that no value reaches the
database as a number it cannot hold (a limit of 10^25 is a 500 on SQLite otherwise)."""

from __future__ import annotations

from typing import Any

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**9


class Pagination(LimitOffsetPagination):
    max_limit = 1000

    def get_offset(self, request: Any) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
