"""The in-process broker: fan-out and the heartbeat that keeps streams open. (Each test runs its
loop in a thread of its own: a browser test may have left an event loop running in this one.)"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from onthaal.queue import broker


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result(timeout=30)


def test_listeners_of_a_loop_share_one_heartbeat_timer(monkeypatch):
    monkeypatch.setattr(broker, "HEARTBEAT_SECONDS", 0.05)
    local = broker.LocalBroker()

    async def main() -> None:
        first, second = local.listen("c"), local.listen("other")
        got = await asyncio.wait_for(asyncio.gather(anext(first), anext(second)), timeout=5)
        assert got == [broker.HEARTBEAT, broker.HEARTBEAT]
        assert len(local._beats) == 1  # one timer for both
        await first.aclose()
        await second.aclose()
        await asyncio.sleep(0.15)
        assert local._beats == {}  # no listener left: the timer stops

    run(main)


def test_events_reach_listeners_from_their_own_loop_and_from_other_threads():
    local = broker.LocalBroker()

    async def main() -> list[str]:
        listener = local.listen("c")
        waiting = asyncio.ensure_future(anext(listener))
        await asyncio.sleep(0)  # registered
        local.publish("c", "same loop")
        got = [await asyncio.wait_for(waiting, timeout=5)]
        thread = threading.Thread(target=local.publish, args=("c", "other thread"))
        thread.start()
        got.append(await asyncio.wait_for(anext(listener), timeout=5))
        thread.join()
        await listener.aclose()
        return got

    assert run(main) == ["same loop", "other thread"]
