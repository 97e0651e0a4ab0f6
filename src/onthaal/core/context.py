"""Per-request context that services may read (the request behind an audit event).

``current_request_id`` is the id of the request, task or worker round being served: the
request's own (``RequestIdMiddleware``), a task's id while the worker runs it, a round's id in
the worker's housekeeping. Log lines carry it, and so does the audit event written meanwhile,
so one id leads from a log line to its audit events and back."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)
current_request_id: ContextVar[str] = ContextVar("current_request_id", default="")
