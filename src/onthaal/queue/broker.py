"""Live events for screens and desks: published after commit, fanned out to listeners.

Two brokers behind one interface:

* ``LocalBroker`` — in-process, for the embedded default (one app process). Publishers may be
  in any thread; each listener is an ``asyncio.Queue`` fed through its own event loop.
* ``RedisBroker`` — Redis pub/sub, when ``REDIS_URL`` is set, so a call made in one app process
  reaches screens connected to another.

Live events are a convenience, never the truth: a listener that (re)connects first reads the
state from the database, and when the broker is down, publishing logs and carries on (desks keep
working) while screens fall back to polling. An event that an app process cannot publish is
kept in the database and published by the worker (``relay_kept``): the screens connected to
the other app processes still get the call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import threading
from collections.abc import AsyncGenerator
from typing import Any

from django.conf import settings
from django.db import transaction

from onthaal.core import cache as shared_cache
from onthaal.operations import metrics
from onthaal.queue import snapshots

log = logging.getLogger(__name__)


def channel_for(location_id: int, prefix: str = "") -> str:
    """The location's channel, under the install's prefix (ONTHAAL_INSTALL_PREFIX): installs
    that share a Redis server never see each other's events."""
    return f"{prefix or settings.ONTHAAL_INSTALL_PREFIX}:location:{location_id}"


class BrokerUnavailable(Exception):
    """The broker cannot be reached; listeners should fall back to polling."""


# Every HEARTBEAT_SECONDS each listener receives HEARTBEAT (streams turn it into a keep-alive
# comment for proxies). One timer per event loop, not one per listener: with thousands of
# screens a per-message timeout in every stream is what a call's fan-out would wait for.
HEARTBEAT = "\x00heartbeat"
HEARTBEAT_SECONDS = 15.0


def observe_call_lag(message: str) -> None:
    """For /metrics: the time from a call (or recall) at a desk, the event's ``at``, to its
    fan-out to this process's screens. Once per event and process, not per screen."""
    if '"called"' not in message and '"recalled"' not in message:
        return
    try:
        event = json.loads(message)
        at = dt.datetime.fromisoformat(event["at"])
    except (ValueError, KeyError, TypeError):
        return
    if event.get("type") in ("called", "recalled"):
        lag = (dt.datetime.now(tz=dt.UTC) - at).total_seconds()
        metrics.CALL_PUBLISH_LAG.observe(max(0.0, lag))


class LocalBroker:
    def __init__(self, *, observe: bool = True) -> None:
        self._observe = observe  # False under RedisBroker, which observes as events arrive
        self._lock = threading.Lock()
        self._listeners: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]]] = {}
        self._beats: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    def publish(self, channel: str, message: str) -> None:
        with self._lock:
            listeners = list(self._listeners.get(channel, ()))
        if listeners and self._observe:
            observe_call_lag(message)
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # a publisher outside any event loop (a request thread)
            current = None
        for loop, queue in listeners:
            if loop is current:  # the Redis pump fanning out in its own loop: no thread hop
                queue.put_nowait(message)
                continue
            try:
                loop.call_soon_threadsafe(queue.put_nowait, message)
            except RuntimeError:  # the listener's loop has closed
                self._remove(channel, (loop, queue))

    def _remove(
        self, channel: str, entry: tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]
    ) -> None:
        with self._lock:
            self._listeners.get(channel, set()).discard(entry)

    async def listen(self, channel: str) -> AsyncGenerator[str, None]:
        loop = asyncio.get_running_loop()
        entry = (loop, asyncio.Queue[str]())
        with self._lock:
            self._listeners.setdefault(channel, set()).add(entry)
            beat = self._beats.get(loop)
            if beat is None or beat.done():
                self._beats[loop] = loop.create_task(self._heartbeat(loop))
        try:
            while True:
                yield await entry[1].get()
        finally:
            self._remove(channel, entry)

    async def _heartbeat(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send HEARTBEAT to this loop's listeners; ends when the loop has none left."""
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            with self._lock:
                queues = [
                    queue
                    for listeners in self._listeners.values()
                    for owner, queue in listeners
                    if owner is loop
                ]
                if not queues:
                    self._beats.pop(loop, None)
                    return
            for queue in queues:
                queue.put_nowait(HEARTBEAT)

    async def ready(self) -> None:
        """Always ready: the broker lives in this process."""

    def channels(self) -> list[str]:
        with self._lock:
            return [c for c, listeners in self._listeners.items() if listeners]

    def listener_count(self, channel: str) -> int:
        with self._lock:
            return len(self._listeners.get(channel, ()))


_DOWN = "\x00broker-down"


class RedisBroker:
    """Redis pub/sub with one subscription per app process (event loop), fanned out locally:
    2,000 screens on a process cost one Redis connection, not 2,000."""

    def __init__(self, url: str, prefix: str = "") -> None:
        import redis

        self.url = url
        self.prefix = prefix or settings.ONTHAAL_INSTALL_PREFIX
        self._client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._local = LocalBroker(observe=False)
        self._pumps: dict[asyncio.AbstractEventLoop, asyncio.Future[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def publish(self, channel: str, message: str) -> None:
        self._client.publish(channel, message)

    async def _pump(self, ready: asyncio.Future[None]) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_connect_timeout=1)
        pubsub = client.pubsub()
        try:
            await pubsub.psubscribe(channel_for(0, self.prefix).rsplit(":", 1)[0] + ":*")
            # Ready once Redis has confirmed the subscription: an event published after
            # ready() reaches this process.
            confirmed = await pubsub.get_message(timeout=2)
            if confirmed is None or confirmed["type"] != "psubscribe":
                raise BrokerUnavailable("Redis did not confirm the subscription")
            ready.set_result(None)
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30)
                if message is not None and message["type"] == "pmessage":
                    channel, data = message["channel"], message["data"]
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    observe_call_lag(text)
                    self._local.publish(
                        channel.decode() if isinstance(channel, bytes) else str(channel), text
                    )
        except Exception as error:  # Redis is gone: tell every listener of this process
            if not ready.done():
                ready.set_exception(BrokerUnavailable(str(error)))
            for channel in self._local.channels():
                self._local.publish(channel, _DOWN)
        finally:
            self._pumps.pop(asyncio.get_running_loop(), None)
            try:
                await pubsub.aclose()
                await client.aclose()
            except Exception:  # closing a broken connection
                log.debug("closing the Redis subscription failed", exc_info=True)

    async def _ensure_pump(self) -> None:
        loop = asyncio.get_running_loop()
        ready = self._pumps.get(loop)
        if ready is None:
            ready = loop.create_future()
            self._pumps[loop] = ready
            task = loop.create_task(self._pump(ready))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        await asyncio.wait_for(asyncio.shield(ready), timeout=2)

    async def ready(self) -> None:
        """Subscribe this process to Redis if not yet done; BrokerUnavailable when it is down."""
        try:
            await self._ensure_pump()
        except (TimeoutError, BrokerUnavailable, OSError) as error:
            raise BrokerUnavailable(str(error)) from error

    async def listen(self, channel: str) -> AsyncGenerator[str, None]:
        await self.ready()
        async for message in self._local.listen(channel):
            if message == _DOWN:
                raise BrokerUnavailable("Redis connection lost")
            yield message


_broker: LocalBroker | RedisBroker | None = None
_broker_lock = threading.Lock()


def get_broker() -> LocalBroker | RedisBroker:
    global _broker
    with _broker_lock:
        if _broker is None:
            url = getattr(settings, "REDIS_URL", "")
            _broker = RedisBroker(url) if url else LocalBroker()
        return _broker


def reset_broker() -> None:
    """Forget the broker (tests that change ``REDIS_URL``)."""
    global _broker
    with _broker_lock:
        _broker = None


def publish_now(location_id: int, event: dict[str, Any]) -> bool:
    """Publish at once; a broker failure is logged, never raised (desks keep working), and the
    event is kept in the database for the worker to publish (``relay_kept``): screens
    connected to other app processes, whose broker works, must still get it. Inside
    ``shared_cache.one_round_trip`` the event goes out with the cache's writes when it ends
    (True: sent then, or kept if it fails)."""
    broker, message = get_broker(), json.dumps(event)

    def failed() -> None:
        log.warning("live event not published (broker unavailable); kept")
        _keep(location_id, event)

    channel = channel_for(location_id)
    if isinstance(broker, RedisBroker) and shared_cache.publish(
        broker.url, channel, message, failed
    ):
        return True
    try:
        broker.publish(channel, message)
    except Exception:
        log.warning("live event not published (broker unavailable); kept", exc_info=True)
        _keep(location_id, event)
        return False
    return True


def _keep(location_id: int, event: dict[str, Any]) -> None:
    from onthaal.core import clock
    from onthaal.queue.models import KeptLiveEvent

    try:
        KeptLiveEvent.objects.create(location_id=location_id, payload=event, created_at=clock.now())
    except Exception:  # the database too: the screens re-read the state when they reconnect
        log.exception("live event lost: neither published nor kept")


# A kept event older than this is not published any more: a screen that connects re-reads the
# state, and an old call announced as new would mislead the waiting room.
KEPT_SECONDS = 60


def relay_kept() -> int:
    """Publish the kept live events, oldest first, and forget them (the worker, every few
    seconds); drop those older than KEPT_SECONDS. When this process cannot publish either,
    they stay. Returns how many were published."""
    import datetime as dt

    from onthaal.core import clock
    from onthaal.queue.models import KeptLiveEvent

    KeptLiveEvent.objects.filter(
        created_at__lt=clock.now() - dt.timedelta(seconds=KEPT_SECONDS)
    ).delete()
    try:
        with transaction.atomic():
            kept = list(
                KeptLiveEvent.objects.select_for_update(skip_locked=True).order_by("pk")[:500]
            )
            if not kept:
                return 0
            live = get_broker()
            for event in kept:  # a failure rolls back: they stay for the next round
                live.publish(channel_for(event.location_id), json.dumps(event.payload))
            KeptLiveEvent.objects.filter(pk__in=[event.pk for event in kept]).delete()
    except Exception as error:
        log.warning("kept live events not published yet (%s); retrying", error)
        return 0
    return len(kept)


def publish(location_id: int, event: dict[str, Any], *, waiting_only: bool = False) -> None:
    """Publish ``event`` to the location's listeners once the current transaction commits.

    What the location's readers cache (``snapshots``) gets a new version first, so a screen
    that reads the state on this event, or any read after the write's response, reads it
    anew; ``waiting_only``: the write only added a waiting ticket (the calls version stays, and
    the display's waiting counts may be ``snapshots.WAITING_LAG`` late). Inside a test case's
    transaction, where nothing commits, the versions are replaced now (see ``snapshots``)."""
    snapshots.bump_in_test_case(location_id)

    def after_commit() -> None:
        with shared_cache.one_round_trip():  # the new version, then the event: one round trip
            snapshots.bump(location_id, waiting_only=waiting_only)
            publish_now(location_id, event)

    transaction.on_commit(after_commit)
