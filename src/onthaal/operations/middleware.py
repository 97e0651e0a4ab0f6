"""Every Django request counted and timed for ``/metrics`` under its route's name, and logged
as one line (``onthaal.request``: route, method, status, duration; the request id comes with
every line, see ``onthaal.operations.logs``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from onthaal.operations import metrics

log = logging.getLogger("onthaal.request")


def route_name(request: HttpRequest) -> str:
    """The route's name (``queue:ticket``), never the path: a path holds ids and references.
    A request that matched no route (404) is ``unmatched``; a route without a name, its
    view's dotted path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return str(match.view_name or match._func_path)[:100]


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = route_name(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        metrics.REQUESTS.labels(view, method, str(response.status_code)).inc()
        metrics.REQUEST_SECONDS.labels(view).observe(elapsed)
        log.info(
            "request",
            extra={
                "view": view,
                "method": method,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
        return response


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
