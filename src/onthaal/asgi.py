"""The ASGI application served by uvicorn.

* ``GET /api/v1/locations/{id}/events/`` — the live event stream — and
  ``GET /ticket/{status id}/events/`` — one ticket's own stream, for its status page — are bare
  async handlers
  (``onthaal.queue.live``): an open stream holds no thread and no database connection, so one
  app process keeps thousands of screens connected.
* ``/healthz``, ``/readyz`` and ``/metrics`` are bare async handlers too
  (``onthaal.operations.views``): no host check, session or https redirect for a probe.
* Every other request is an ordinary, synchronous Django request. It goes to Django's WSGI
  handler on a pool of threads (a2wsgi) rather than through Django's ASGI handler, which hops
  between the event loop and a thread several times per request (a new thread per request,
  around a synchronous middleware chain): measured in ADR 0005, this halves the fixed cost of
  a request.
* ``GET /api/v1/locations/{id}/display/`` and ``GET /ticket/{status id}/status.json``, what
  screens and phones poll, are answered from the cache in the event loop while the location has
  not changed (``onthaal.queue.public_reads``), and go to Django otherwise.
"""

import os
import re
from typing import Any

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
# Threads per app process for ordinary requests; each holds a database connection from the
# pool only while it serves a request.
REQUEST_THREADS = int(os.environ.get("WEB_THREADS", "16"))
django_application = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]  # Django's stubs type start_response apart
    workers=REQUEST_THREADS,
)

# Import the views now, as the process starts, rather than in its first requests.
get_resolver().url_patterns  # noqa: B018

from onthaal.operations.views import PATHS as PROBE_PATHS  # noqa: E402
from onthaal.operations.views import asgi_probe  # noqa: E402

EVENTS_PATH = re.compile(r"^/api/v1/locations/(\d+)/events/$")
TICKET_EVENTS_PATH = re.compile(r"^/ticket/([A-Za-z0-9_-]{1,32})/events/$")


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope.get("method") == "GET":
        path = scope.get("path", "")
        if path in PROBE_PATHS:  # health and metrics, outside Django
            await asgi_probe(scope, receive, send)
            return
        match = EVENTS_PATH.match(path)
        if match:
            from onthaal.queue.live import asgi_events

            await asgi_events(scope, receive, send, int(match.group(1)))
            return
        match = TICKET_EVENTS_PATH.match(path)
        if match:
            from onthaal.queue.live import asgi_ticket_events

            await asgi_ticket_events(scope, receive, send, match.group(1))
            return
        if path.endswith(("/display/", "/status.json")):
            from onthaal.queue.public_reads import respond

            await respond(scope, receive, send, django_application)
            return
    await django_application(scope, receive, send)  # type: ignore[arg-type]
