"""Serve Onthaal with uvicorn (ASGI), optionally with several worker processes."""

from __future__ import annotations

import argparse
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Onthaal on an ASGI server (uvicorn)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "1")))
        # A line per request with the client's address and the path (a ticket's status page
        # has the ticket in its path): off unless asked for or in development. Behind the
        # reverse proxy of a server install, the proxy keeps the access log.
        parser.add_argument(
            "--access-log",
            action=argparse.BooleanOptionalAction,
            default=os.environ.get("ACCESS_LOG", "1" if settings.DEBUG else "0") == "1",
        )

    def handle(
        self, *args: Any, host: str, port: int, workers: int, access_log: bool, **options: Any
    ) -> None:
        import uvicorn

        # How many app processes serve this install: one process's memory is no shared
        # cache for several (settings.ONTHAAL_READ_CACHE).
        os.environ["ONTHAAL_APP_PROCESSES"] = str(workers)
        if workers > 1:
            # The workers share one listening socket. By default the event loop of the first
            # to wake accepts every connection waiting; with this (libuv, under uvloop) each
            # takes one at a time, so a burst of keep-alive connections (desks, kiosks, a
            # proxy's upstream pool) spreads over the workers instead of piling on one.
            os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
        proxies = ",".join(settings.FORWARDED_ALLOW_IPS)
        uvicorn.run(
            "onthaal.asgi:application",
            host=host,
            port=port,
            workers=workers if workers > 1 else None,
            # LOG_LEVEL (settings): `onthaal demo` serves with WARNING, without the lines of
            # each start and request (its own instructions stay on the screen).
            log_level=settings.LOG_LEVEL.lower(),
            # JSON logs: uvicorn's own lines go to the root handler (settings.LOGGING) too.
            log_config=None if settings.LOG_FORMAT == "json" else uvicorn.config.LOGGING_CONFIG,
            access_log=access_log,
            # X-Forwarded-For/-Proto only from the configured proxies, as core.client reads
            # them (one list, FORWARDED_ALLOW_IPS, for uvicorn and the app); none: no proxy.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            lifespan="off",
        )
