"""Where the themes are cached, and how a change drops them (``onthaal.organisation.theme``).

Apart from the models and the theme module so that both can import it. Every page reads the
themes, so they are kept in the shared cache (Redis in production, the process's memory in
the embedded default) under one key. Saving or deleting an organisation, and the admin's
change of a department's locations, delete the key, now and after the commit (a page rendered
while the change was committing may have stored the old themes in between). A change that goes
around both (a script that adds a location to a department) shows within ``TTL``.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

log = logging.getLogger(__name__)

KEY = "organisation:themes:v2"  # v2: with the organisations' names
TTL = 300  # seconds


def enabled() -> bool:
    """Whether the themes are cached: not with several app processes that have no shared
    cache (``ONTHAAL_READ_CACHE=off``), whose memories would not see each other's deletes."""
    return settings.ONTHAAL_READ_CACHE != "off"


def invalidate() -> None:
    """Drop the cached themes. Never raises: a save must not fail because the cache does."""
    try:
        cache.delete(KEY)
    except Exception:
        log.warning("the cached themes were not invalidated (they expire within %s s)", TTL)


def invalidate_after_commit() -> None:
    invalidate()
    transaction.on_commit(invalidate)
