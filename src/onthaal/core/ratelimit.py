"""Rate limits without third parties: attempts counted in the cache (Redis in production,
shared by all app processes, with the database when Redis is unreachable — see
``onthaal.core.cache``; in-process memory in the embedded default)."""

from __future__ import annotations

from django.core.cache import cache

from onthaal.core.errors import DomainError


class TooMany(DomainError):
    status_code = 429
    default_code = "rate_limited"


def hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt under ``key`` for ``window`` seconds; True when still within ``limit``."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
