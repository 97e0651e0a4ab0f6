"""JSON log lines (``LOG_FORMAT=json``, the default of a server install): one object per line
with the time, level, logger, message and the request id (``core.context.current_request_id``)
that the audit events of the same request, task or worker round carry.

No personal data: a request's line names its route (``queue:ticket``), method, status and
duration — never the path (it may hold a ticket's private status id or an appointment's
reference), the query, the client's address or the user. The audit log, which keeps the
address and the actor, is found from the line by its request id. Django's own line about a
refused or failed request (``django.request``: "Not Found: /ticket/<id>/") is written without
its path for the same reason.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from http import HTTPStatus
from typing import Any

from onthaal.core import context

# Extra fields a line may carry (``log.info(..., extra={...})``), in this order.
FIELDS = ("view", "method", "status", "duration_ms", "task", "task_id")


class RequestIdFilter(logging.Filter):
    """Give every record the id of the request, task or worker round it belongs to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = context.current_request_id.get()
        return True


def _message(record: logging.LogRecord) -> str:
    if record.name == "django.request":
        status = getattr(record, "status_code", None)
        if isinstance(status, int):  # "Not Found: /ticket/<status id>/" without the path
            try:
                return HTTPStatus(status).phrase
            except ValueError:
                return f"HTTP {status}"
    return record.getMessage()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
            "request_id": getattr(record, "request_id", "") or context.current_request_id.get(),
        }
        if record.name == "django.request":
            request = getattr(record, "request", None)
            match = getattr(request, "resolver_match", None)
            line["view"] = getattr(match, "view_name", "") or "unmatched"
            line["status"] = getattr(record, "status_code", None)
            # Logged after the request's context has ended: the id is on the request.
            line["request_id"] = getattr(request, "request_id", "") or line["request_id"]
        for field in FIELDS:
            if field not in line and hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
