"""SQLite for the embedded default, with its writers queued in the process (ADR 0015).

SQLite lets one transaction write at a time; with ``BEGIN IMMEDIATE`` (ADR 0003) the others
wait in SQLite's busy handler, which does not queue them: it sleeps and tries again, sleeping
longer each time (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms). Under load a writer
that arrives just after another one began can sleep 100 ms while the lock was free for most of
it, and lose the race to a newcomer when it wakes: the second-long tails of issue #18 (p99
0.65-1.7 s at 8 clients).

Here a transaction first takes a lock of the process (``WRITER``), handed over in the order it
was asked for, and only then runs
``BEGIN IMMEDIATE``; it gives it back at its commit or rollback. The app process's writers then
follow each other without sleeping; SQLite's busy handler is left for the other processes of
the install (the worker), as before. A writer waits at most the connection's ``timeout`` (20 s)
for its turn, then fails as SQLite would ("database is locked").
"""

from __future__ import annotations

import collections
import threading
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class _FifoLock:
    """A lock handed to its waiters in the order they asked; re-entrant per thread (a second
    connection of one thread must not wait for itself)."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiters: collections.deque[tuple[int, threading.Lock]] = collections.deque()

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner is None or self._owner == me:
                self._owner = me
                self._depth += 1
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append((me, turn))
        try:
            if turn.acquire(timeout=timeout):
                return True  # handed over by release(), which made us the owner
        except BaseException:  # interrupted (Ctrl-C, TERM in the main thread): give up our turn
            with self._mutex:
                handed = self._owner == me
                if not handed:
                    self._waiters.remove((me, turn))
            if handed:
                self.release()
            raise
        with self._mutex:
            if self._owner == me:  # handed over just as the wait timed out
                return True
            self._waiters.remove((me, turn))
        return False

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth > 0:
                return
            if self._waiters:
                self._owner, turn = self._waiters.popleft()
                self._depth = 1
                turn.release()
            else:
                self._owner = None


WRITER = _FifoLock()


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer = False

    def _start_transaction_under_autocommit(self) -> None:
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        if not WRITER.acquire(timeout):
            raise OperationalError("database is locked (waited for the other writers)")
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            WRITER.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_writer()
