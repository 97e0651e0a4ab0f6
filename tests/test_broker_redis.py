"""The Redis broker against the real Redis on 127.0.0.1:6379: an event published by one
client (another app process) reaches a listener; numbers only go over the wire; two installs
that share the Redis never see each other's events. Other engineers and installs use the same
Redis at the same time: each test waits for its own subscription and uses a prefix of its own."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis

from onthaal.queue.broker import RedisBroker, channel_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CALL = {"type": "called", "code": "B007", "desk": "Balie 3"}


def _in_own_loop(main: Callable[[], Awaitable[Any]]) -> Any:
    """A fresh event loop in its own thread, as an ASGI worker has."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(20)


def _prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_an_event_published_elsewhere_reaches_the_listener():
    prefix = _prefix()
    broker = RedisBroker(REDIS_URL, prefix)
    channel = channel_for(987654, prefix)
    assert channel == f"{prefix}:location:987654"

    async def listen_and_receive() -> str:
        await broker.ready()  # this process's own subscription, confirmed by Redis
        listener = broker.listen(channel)
        first = asyncio.ensure_future(anext(listener))
        await asyncio.sleep(0)  # registered with the process's fan-out
        # Publish from a separate client, as another app process would.
        redis.Redis.from_url(REDIS_URL).publish(channel, json.dumps(CALL))
        message = await asyncio.wait_for(first, 5)
        await listener.aclose()
        return message

    assert json.loads(_in_own_loop(listen_and_receive)) == CALL


def test_two_installs_on_one_redis_never_see_each_others_events():
    ours, theirs = RedisBroker(REDIS_URL, _prefix()), RedisBroker(REDIS_URL, _prefix())
    location = 4242  # the same location id in both databases

    async def main() -> tuple[list[str], list[str]]:
        await asyncio.gather(ours.ready(), theirs.ready())
        mine, other = (
            ours.listen(channel_for(location, ours.prefix)),
            theirs.listen(channel_for(location, theirs.prefix)),
        )
        got_mine, got_other = (
            asyncio.ensure_future(anext(mine)),
            asyncio.ensure_future(anext(other)),
        )
        await asyncio.sleep(0)
        theirs.publish(channel_for(location, theirs.prefix), json.dumps({"from": "theirs"}))
        ours.publish(channel_for(location, ours.prefix), json.dumps({"from": "ours"}))
        received_mine = [await asyncio.wait_for(got_mine, 5)]
        received_other = [await asyncio.wait_for(got_other, 5)]
        # Nothing else arrives for either (each got exactly its own install's event).
        for listener, received in ((mine, received_mine), (other, received_other)):
            extra = asyncio.ensure_future(anext(listener))
            done, _ = await asyncio.wait({extra}, timeout=0.5)
            if done:
                received.append(extra.result())
            else:
                extra.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await extra
            await listener.aclose()
        return received_mine, received_other

    received_mine, received_other = _in_own_loop(main)
    assert [json.loads(m) for m in received_mine] == [{"from": "ours"}]
    assert [json.loads(m) for m in received_other] == [{"from": "theirs"}]


def test_the_install_prefix_comes_from_the_database_and_prefixes_the_cache(settings):
    from onthaal.settings import _install_prefix

    one = {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "db1",
        "PORT": 5432,
        "NAME": "onthaal",
    }
    other_host = {**one, "HOST": "db2"}
    assert _install_prefix(one).startswith("onthaal-")
    assert _install_prefix(one) == _install_prefix(dict(one))
    assert _install_prefix(one) != _install_prefix(other_host)
    assert _install_prefix({**one, "NAME": "gemeente_b"}).startswith("gemeente_b-")
    assert settings.CACHES["default"]["KEY_PREFIX"] == settings.ONTHAAL_INSTALL_PREFIX
    assert channel_for(7) == f"{settings.ONTHAAL_INSTALL_PREFIX}:location:7"


def test_publish_to_an_unreachable_redis_raises_and_publish_now_swallows_it():
    from onthaal.queue import broker as module

    dead = RedisBroker("redis://127.0.0.1:1/0")
    try:
        dead.publish("x", "y")
    except redis.exceptions.ConnectionError:
        pass
    else:  # pragma: no cover
        raise AssertionError("publishing to a dead Redis should fail")
    module._broker = dead
    try:
        assert module.publish_now(1, {"type": "test"}) is False
    finally:
        module.reset_broker()
