"""The Redis broker against the real Redis on 127.0.0.1:6379: an event published by one
client (another app process) reaches a listener; numbers only go over the wire."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os

import redis

from onthaal.queue.broker import RedisBroker, channel_for

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_an_event_published_elsewhere_reaches_the_listener():
    broker = RedisBroker(REDIS_URL)
    channel = channel_for(987654)

    async def listen_and_receive() -> str:
        listener = broker.listen(channel)
        first = asyncio.ensure_future(anext(listener))
        # Wait until the subscription is in place, then publish from a separate client,
        # as another app process would.
        other = redis.Redis.from_url(REDIS_URL)
        for _ in range(100):
            if other.pubsub_numpat() > 0:  # the process's pattern subscription is in place
                break
            await asyncio.sleep(0.02)
        other.publish(channel, json.dumps({"type": "called", "code": "B007", "desk": "Balie 3"}))
        message = await asyncio.wait_for(first, 5)
        await listener.aclose()
        return message

    # A fresh event loop in its own thread, as an ASGI worker has.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        received = json.loads(pool.submit(asyncio.run, listen_and_receive()).result(10))
    assert received == {"type": "called", "code": "B007", "desk": "Balie 3"}


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
