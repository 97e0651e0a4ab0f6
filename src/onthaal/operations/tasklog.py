"""One log line and one count per background task (django-tasks), with an id that its audit
events carry too.

A task runs with its own id as the request id (``core.context.current_request_id``): the audit
events it writes carry it. The request that enqueued the task logs ``task enqueued`` with both
its own request id and the task's id, which links the two."""

from __future__ import annotations

import logging
import time
from typing import Any

from onthaal.core import context
from onthaal.operations import metrics

log = logging.getLogger("onthaal.task")

_running: dict[str, tuple[float, Any]] = {}


def _name(task_result: Any) -> str:
    return str(task_result.task.module_path)[:100]


def enqueued(sender: Any, task_result: Any, **kwargs: Any) -> None:
    log.info(
        "task enqueued",
        extra={"task_id": str(task_result.id), "task": _name(task_result)},
    )


def started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    token = context.current_request_id.set(str(task_result.id))
    _running[str(task_result.id)] = (time.perf_counter(), token)


def finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    began, token = _running.pop(str(task_result.id), (None, None))
    status = str(getattr(task_result.status, "value", task_result.status)).lower()
    metrics.TASKS.labels(_name(task_result), status).inc()
    log.info(
        "task finished",
        extra={
            "task_id": str(task_result.id),
            "task": _name(task_result),
            "status": status,
            "duration_ms": None
            if began is None
            else round((time.perf_counter() - began) * 1000, 1),
        },
    )
    if token is not None:
        try:
            context.current_request_id.reset(token)
        except ValueError:  # set in another context: leave it to that context's end
            context.current_request_id.set("")


def connect() -> None:
    from django_tasks.signals import task_enqueued, task_finished, task_started

    task_enqueued.connect(enqueued, dispatch_uid="onthaal.operations.tasklog.enqueued")
    task_started.connect(started, dispatch_uid="onthaal.operations.tasklog.started")
    task_finished.connect(finished, dispatch_uid="onthaal.operations.tasklog.finished")
