"""With Redis down, the database side of the shared cache still counts every hit of a limit
and lets one of two requests spend a proof, with real concurrent connections."""

from __future__ import annotations

import threading

import pytest

from onthaal.core import cache as shared_cache
from onthaal.core import ratelimit
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]


@pytest.fixture
def redis_down(settings):
    shared_cache.health.reset()
    settings.CACHES = {
        "default": {
            "BACKEND": "onthaal.core.cache.FailoverCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    yield
    shared_cache.health.reset()


def test_40_concurrent_hits_on_a_limit_of_10_let_exactly_10_through(redis_down):
    allowed: list[bool] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        result = ratelimit.hit("onthaal:test:concurrent", 10, 60)
        with lock:
            allowed.append(result)

    assert run_at_once(40, work) == []
    assert sorted(allowed) == [False] * 30 + [True] * 10


def test_40_concurrent_adds_of_one_key_let_one_win(redis_down):
    from django.core.cache import cache

    won: list[bool] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        result = cache.add("onthaal:test:spent", str(n), timeout=60)
        with lock:
            won.append(result)

    assert run_at_once(40, work) == []
    assert won.count(True) == 1
