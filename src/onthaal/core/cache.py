"""The shared cache, with the database as its fallback when Redis is unreachable.

Rate limits and spent proofs of work live in the cache (``onthaal.core.ratelimit``,
``onthaal.appointments.proof``): with several app processes it must be shared, so in
production it is Redis. Redis being down must not stop citizens from booking: every operation
of :class:`FailoverCache` goes to Redis, and when Redis fails (refused, timed out) to Django's
database cache on the table ``onthaal_cache`` (``core.CacheEntry``, created by ``migrate``). The
degradation is logged once per process when it starts and once when it ends, not per request;
for ``RETRY_SECONDS`` after a failure Redis is not tried again, so a request does not pay a
connection timeout each time.

What the database fallback keeps:

* ``add`` is atomic there too (an INSERT on the primary key): of two requests presenting one
  proof, one wins;
* ``incr`` is atomic there too (the row is locked — ``SELECT ... FOR UPDATE`` on PostgreSQL,
  SQLite's IMMEDIATE transaction — while it is read and written), so a limit counts every hit;
* for ``RECOVERY_SECONDS`` after this process last used the fallback, ``add`` also looks in the
  database: a proof spent while Redis was down is not good again once it is back.

Counters started on one side are not carried to the other: across a switch a limit starts
from zero once (at most one more window's worth gets through).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import router, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

TABLE = "onthaal_cache"
RETRY_SECONDS = 15.0
RECOVERY_SECONDS = 15 * 60.0


class _Health:
    """Whether Redis answered lately, shared by every thread of the process (Django makes a
    cache backend per thread)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down_until = 0.0  # monotonic time before which Redis is not tried
        self.down = False
        self.fallback_used_at = float("-inf")

    def usable(self) -> bool:
        return time.monotonic() >= self.down_until

    def failed(self, error: BaseException) -> None:
        with self.lock:
            self.down_until = time.monotonic() + RETRY_SECONDS
            if not self.down:
                self.down = True
                log.warning(
                    "The shared cache (Redis) is unreachable (%s): rate limits and spent "
                    "proofs use the database until it answers again.",
                    error.__class__.__name__,
                )

    def answered(self) -> None:
        if self.down:
            with self.lock:
                if self.down:
                    self.down = False
                    log.warning("The shared cache (Redis) answers again.")

    def used_fallback(self) -> None:
        self.fallback_used_at = time.monotonic()

    def recovering(self) -> bool:
        return time.monotonic() - self.fallback_used_at < RECOVERY_SECONDS

    def reset(self) -> None:
        """Forget the state (tests)."""
        with self.lock:
            self.down_until, self.down = 0.0, False
            self.fallback_used_at = float("-inf")


health = _Health()


def _unavailable() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, OSError)


class _DatabaseFallback(DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Atomic: the row stays locked from the read to the write."""
        from onthaal.core.models import CacheEntry

        db = router.db_for_write(self.cache_model_class)
        with transaction.atomic(using=db):
            full = self.make_and_validate_key(key, version=version)
            list(
                CacheEntry.objects.using(db).select_for_update().filter(cache_key=full).values("pk")
            )
            value = self.get(key, version=version)
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            # The row's expiry stays: touch() would need the remaining time, so it is read.
            expires = (
                CacheEntry.objects.using(db)
                .filter(cache_key=full)
                .values_list("expires", flat=True)
                .first()
            )
            remaining = None
            if expires is not None:
                remaining = max(1, int((expires - timezone.now()).total_seconds()))
            self.set(key, value, timeout=remaining, version=version)
        return value


def _clear_redis(redis_cache: RedisCache) -> None:
    """Delete the keys under ``redis_cache``'s prefix (all of its database if it has none)."""
    if not redis_cache.key_prefix:
        redis_cache.clear()
        return
    client = redis_cache._cache.get_client(None, write=True)
    # Django makes a key "<prefix>:<version>:<key>"; the prefix's glob characters escaped.
    escaped = "".join(f"\\{c}" if c in "*?[]\\" else c for c in redis_cache.key_prefix)
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{escaped}:*", count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch.clear()
    if batch:
        client.delete(*batch)


# The Redis and database backends of this process, by server and parameters.
_backends: dict[tuple[str, str], tuple[RedisCache, DatabaseCache]] = {}
_backends_lock = threading.Lock()


def _reusing_client_class() -> type:
    from django.core.cache.backends.redis import RedisCacheClient

    class ReusingRedisCacheClient(RedisCacheClient):
        """Django's client makes a ``redis.Redis`` (and its table of 170 response callbacks) for
        every command; this one makes one per connection pool. ``redis.Redis`` is thread-safe:
        each command takes a connection from the pool."""

        def get_client(self, key: Any = None, *, write: bool = False) -> Any:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            clients = self.__dict__.setdefault("_onthaal_clients", {})
            client = clients.get(id(pool))
            if client is None:
                client = clients.setdefault(
                    id(pool),
                    self._client(connection_pool=pool),  # type: ignore[attr-defined]
                )
            return client

    return ReusingRedisCacheClient


def _make(server: str, params: dict[str, Any]) -> tuple[RedisCache, DatabaseCache]:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # redis-py retries a refused connection with back-off for seconds by default: one quick
    # retry, then the database.
    options = {"retry": Retry(NoBackoff(), 1), **params.get("OPTIONS", {})}
    primary = RedisCache(server, {**params, "OPTIONS": options})
    primary._class = _reusing_client_class()  # type: ignore[attr-defined]
    fallback = {k: v for k, v in params.items() if k not in ("OPTIONS", "LOCATION")}
    return primary, _DatabaseFallback(TABLE, fallback)


_batch = threading.local()


@contextmanager
def one_round_trip() -> Iterator[None]:
    """What this thread writes to the shared cache (``set``, ``set_many``) and publishes to
    Redis on its server (``publish``) inside is sent when it ends, in one pipeline, in order:
    one round trip instead of one per command (a write's new read version and its live event,
    ``queue.broker``). A command that fails is handled as it would have been alone: a cache
    write goes to the database, a publish to its ``on_failure``. Nested: the outermost sends."""
    if getattr(_batch, "commands", None) is not None:
        yield
        return
    _batch.commands, _batch.client = [], None
    try:
        yield
    finally:
        commands, client = _batch.commands, _batch.client
        _batch.commands = _batch.client = None
        if commands:
            _send(client, commands)


def publish(url: str, channel: str, message: str, on_failure: Callable[[], None]) -> bool:
    """Queue a PUBLISH into this thread's ``one_round_trip``, when there is one and the shared
    cache is Redis at ``url`` and usable; False when not (the caller publishes itself)."""
    from django.core.cache import caches

    batch = getattr(_batch, "commands", None)
    backend = caches["default"]
    if batch is None or not isinstance(backend, FailoverCache) or not health.usable():
        return False
    if backend.primary._servers != [url]:  # type: ignore[attr-defined]
        return False
    _batch.client = backend._write_client()
    batch.append((("PUBLISH", channel, message), on_failure))
    return True


def _send(client: Any, commands: list[tuple[tuple[Any, ...], Callable[[], None]]]) -> None:
    try:
        pipe = client.pipeline(transaction=False)
        for command, _failure in commands:
            pipe.execute_command(*command)
        results = pipe.execute(raise_on_error=False)
    except _unavailable() as error:
        health.failed(error)
        for _command, on_failure in commands:
            on_failure()
        return
    health.answered()
    for (_command, on_failure), result in zip(commands, results, strict=True):
        if isinstance(result, Exception):
            on_failure()


class FailoverCache(BaseCache):
    """Redis (``LOCATION``), and the database when Redis fails. ``OPTIONS`` go to Redis."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        # Django makes a cache backend per request context, and a2wsgi runs every request in
        # a context of its own: without this, each request built both backends again and
        # opened its own connection pool and a new TCP connection to Redis (a connect and a
        # SELECT before its first command). redis-py's pools are thread-safe, and so are both
        # backends, so the process's FailoverCaches share them.
        key = (server, repr(sorted((k, repr(v)) for k, v in params.items())))
        backends = _backends.get(key)
        if backends is None:
            with _backends_lock:
                backends = _backends.get(key) or _backends.setdefault(key, _make(server, params))
        self.primary, self.fallback = backends

    def _run(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if health.usable():
            try:
                result = getattr(self.primary, name)(*args, **kwargs)
            except _unavailable() as error:
                health.failed(error)
            else:
                health.answered()
                return result
        health.used_fallback()
        return getattr(self.fallback, name)(*args, **kwargs)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        added = bool(self._run("add", key, value, timeout, version))
        # Added to Redis: was it spent in the database while Redis was down?
        recovering = added and health.usable() and health.recovering()
        return added and not (recovering and self.fallback.has_key(key, version=version))

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._run("get", key, default, version)

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        """One round trip (MGET) rather than one per key."""
        return dict(self._run("get_many", keys, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        batch = getattr(_batch, "commands", None)
        backend_timeout = self.primary.get_backend_timeout(timeout)
        if batch is not None and backend_timeout != 0 and health.usable():
            full = self.primary.make_and_validate_key(key, version=version)
            command: tuple[Any, ...] = ("SET", full, self._serializer().dumps(value))
            if backend_timeout is not None:
                command += ("EX", backend_timeout)

            def on_failure() -> None:
                health.used_fallback()
                self.fallback.set(key, value, timeout, version)

            _batch.client = self._write_client()
            batch.append((command, on_failure))
            return
        self._run("set", key, value, timeout, version)

    def _serializer(self) -> Any:
        return self.primary._cache._serializer  # type: ignore[attr-defined]

    def _write_client(self) -> Any:
        return self.primary._cache.get_client(None, write=True)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return bool(self._run("touch", key, timeout, version))

    def delete(self, key: Any, version: Any = None) -> bool:
        return bool(self._run("delete", key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        return int(self._run("incr", key, delta, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return bool(self._run("has_key", key, version))

    def clear(self) -> None:
        """Both: what a test or an operator clears is gone on either side. In Redis only this
        install's keys (those under its ``KEY_PREFIX``): the server may be shared with other
        installs, whose keys stay. Without a prefix, Redis's whole database."""
        try:
            _clear_redis(self.primary)
        except _unavailable() as error:
            health.failed(error)
        self.fallback.clear()

    def close(self, **kwargs: Any) -> None:
        self.primary.close(**kwargs)
        self.fallback.close(**kwargs)
