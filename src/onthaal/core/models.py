"""Core tables: only what a shared mechanism needs to keep."""

from __future__ import annotations

from django.db import models


class CacheEntry(models.Model):
    """The database side of the shared cache (``onthaal.core.cache.FailoverCache``): the
    table Django's database cache reads and writes, made by ``migrate`` rather than
    ``createcachetable``. Its columns are the ones Django's cache expects."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "onthaal_cache"
        verbose_name = "cache entry"
        verbose_name_plural = "cache entries"

    def __str__(self) -> str:
        return self.cache_key
