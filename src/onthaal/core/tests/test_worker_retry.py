"""The task worker outlives a moment when the database refuses it (``onthaal worker``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError

from onthaal.core.management.commands import worker


def test_the_worker_starts_again_when_the_database_is_locked_and_stops_when_asked(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[dict[str, Any]] = []

    def db_worker(name: str, **options: Any) -> None:
        calls.append({"name": name, **options})
        if len(calls) < 3:  # the embedded database's writer lock, held by a long load
            raise OperationalError("database is locked (waited for the other writers)")
        # the third run ends as a TERM ends django-tasks' worker: it returns

    monkeypatch.setattr(worker, "call_command", db_worker)
    monkeypatch.setattr(worker, "RETRY_SECONDS", 0)
    with caplog.at_level(logging.WARNING, logger="onthaal.worker"):
        worker.run_tasks(0.5)
    assert [c["name"] for c in calls] == ["db_worker"] * 3
    assert all(c["interval"] == 0.5 and c["queue_name"] == "*" for c in calls)
    refused = [r for r in caplog.records if "database refused" in r.getMessage()]
    assert len(refused) == 2


def test_any_other_failure_still_ends_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0

    def db_worker(name: str, **options: Any) -> None:
        nonlocal calls
        calls += 1
        raise ValueError("a bug, not a busy database")

    monkeypatch.setattr(worker, "call_command", db_worker)
    with pytest.raises(ValueError, match="a bug"):
        worker.run_tasks(1.0)
    assert calls == 1
