"""The embedded default's writers queue in the process before BEGIN IMMEDIATE (ADR 0015):
in the order they came, without SQLite's sleeping retries, and none is lost."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from django.db import connection, transaction

from onthaal.core.models import CacheEntry
from onthaal.core.sqlite.base import _FifoLock

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")


def test_the_lock_is_handed_over_in_the_order_it_was_asked_for():
    lock = _FifoLock()
    assert lock.acquire(timeout=1)
    order: list[int] = []

    def waiter(n: int) -> None:
        assert lock.acquire(timeout=5)
        order.append(n)
        lock.release()

    threads = []
    for n in range(5):
        t = threading.Thread(target=waiter, args=(n,))
        t.start()
        threads.append(t)
        time.sleep(0.05)  # each asks after the one before
    lock.release()
    for t in threads:
        t.join()
    assert order == [0, 1, 2, 3, 4]


def test_the_lock_is_reentrant_per_thread_and_a_wait_times_out():
    lock = _FifoLock()
    assert lock.acquire(timeout=1) and lock.acquire(timeout=1)  # a second connection
    got: list[bool] = []
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.2)))
    t.start()
    t.join()
    assert got == [False]
    lock.release()
    lock.release()
    t = threading.Thread(target=lambda: got.append(lock.acquire(timeout=0.2)))
    t.start()
    t.join()
    assert got == [False, True]


class _Interrupted(Exception):
    pass


def test_a_wait_interrupted_by_a_signal_gives_its_turn_up():
    """Ctrl-C or TERM while the main thread waits: the lock must not be handed to it later."""
    lock = _FifoLock()
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        assert lock.acquire(timeout=1)
        held.set()
        release.wait(5)
        lock.release()

    t = threading.Thread(target=holder)
    t.start()
    held.wait(5)

    def interrupt(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(_Interrupted):
            lock.acquire(timeout=5)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    release.set()
    t.join()
    got: list[bool] = []
    other = threading.Thread(target=lambda: got.append(lock.acquire(timeout=1)))
    other.start()
    other.join()
    assert got == [True]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_all_commit_and_none_is_refused():
    assert connection.settings_dict["ENGINE"] == "onthaal.core.sqlite"
    from django.utils import timezone

    CacheEntry.objects.create(cache_key="n", value="0", expires=timezone.now())
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(20):
                with transaction.atomic():
                    entry = CacheEntry.objects.get(cache_key="n")
                    entry.value = str(int(entry.value) + 1)
                    entry.save(update_fields=["value"])
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert CacheEntry.objects.get(cache_key="n").value == "160"
