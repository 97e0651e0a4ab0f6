"""``/healthz``, ``/readyz`` and ``/metrics``, served two ways with the same code:

* bare ASGI handlers that ``onthaal.asgi`` routes to before Django: a probe needs no session,
  no host check (a monitor may ask ``127.0.0.1:8000`` while ``ALLOWED_HOSTS`` names the public
  host) and no redirect to https, and is not counted among the requests it watches;
* Django views (tests, and servers without that routing).

``/healthz``: the process is up and answers (200). ``/readyz``: 200 or 503 with the checks
(``onthaal.operations.health``). ``/metrics``: Prometheus's text format, only to loopback and
to the scrapers in ``ONTHAAL_METRICS_ALLOW_IPS`` (others get 403).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.registry import REGISTRY

from onthaal.core import client
from onthaal.operations.collectors import DatabaseCollector
from onthaal.operations.multiprocess import VARIABLE

T = TypeVar("T")
NO_STORE = "no-store"
_database_collector = DatabaseCollector()


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        found = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    return getattr(found, "ipv4_mapped", None) or found


def _in(address: ipaddress.IPv4Address | ipaddress.IPv6Address, spec: list[str]) -> bool:
    for item in spec:
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def may_scrape(address: str, forwarded_for: str) -> bool:
    """Loopback or a configured scraper (``ONTHAAL_METRICS_ALLOW_IPS``); every hop named in
    ``X-Forwarded-For`` must be one too, or a trusted proxy — so a proxy on this machine that
    Onthaal was not told to trust cannot pass the internet off as loopback."""
    scrapers = list(settings.METRICS_ALLOW_IPS)
    found = _parse(address)
    if found is None or not (found.is_loopback or _in(found, scrapers)):
        return False
    for hop in (part for part in forwarded_for.split(",") if part.strip()):
        seen = _parse(hop)
        if seen is None:
            return False
        if not (seen.is_loopback or _in(seen, scrapers) or client.is_trusted(str(seen))):
            return False
    return True


def _registry() -> Any:
    """The process's own registry, or a fresh one that sums the install's processes."""
    if os.environ.get(VARIABLE):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        registry.register(_database_collector)
        return registry
    if _database_collector not in getattr(REGISTRY, "_collector_to_names", {}):
        with contextlib.suppress(ValueError):  # registered by another thread meanwhile
            REGISTRY.register(_database_collector)
    return REGISTRY


def metrics_text() -> bytes:
    return generate_latest(_registry())


def _forwarded_for(headers: dict[str, str]) -> str:
    return headers.get("x-forwarded-for", "")


# --- Django views ---------------------------------------------------------------------------


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = NO_STORE
    return response


@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    from onthaal.operations import health

    ready, body = health.readiness()
    response = JsonResponse(body, status=200 if ready else 503)
    response["Cache-Control"] = NO_STORE
    return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not may_scrape(
        request.META.get("REMOTE_ADDR", ""), request.headers.get("X-Forwarded-For", "")
    ):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    response = HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = NO_STORE
    return response


# --- the same as bare ASGI handlers (onthaal.asgi) -------------------------------------------

PATHS = {"/healthz", "/readyz", "/metrics"}


def _closing(function: Callable[[], T]) -> Callable[[], T]:
    """``function`` for a thread of its own, giving its database connection back after."""

    def run() -> T:
        try:
            return function()
        finally:
            connections.close_all()

    return run


async def _send(send: Any, status: int, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"cache-control", NO_STORE.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def asgi_probe(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope["path"]
    if path == "/healthz":
        await _send(send, 200, b'{"status": "ok"}', "application/json")
        return
    if path == "/readyz":
        from onthaal.operations import health

        ready, body = await sync_to_async(_closing(health.readiness), thread_sensitive=False)()
        await _send(send, 200 if ready else 503, json.dumps(body).encode(), "application/json")
        return
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    peer = (scope.get("client") or ("", 0))[0]
    if not may_scrape(peer, _forwarded_for(headers)):
        await _send(send, 403, b"Forbidden\n", "text/plain")
        return
    text = await sync_to_async(_closing(metrics_text), thread_sensitive=False)()
    await _send(send, 200, text, CONTENT_TYPE_LATEST)
