"""Filters of the console log (settings.LOGGING)."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request (403, 404, 400: ``django.request`` with a status below 500) is one line:
    Django logs a refusal raised as an exception with its traceback, which says nothing about a
    fault of the server and buries the ones that do. Server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.name == "django.request" and isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
