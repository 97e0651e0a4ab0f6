"""A bare WSGI "hello" served the way ``onthaal serve`` serves Django (uvicorn, a2wsgi's thread
pool of ``WEB_THREADS``): the ceiling ``bench_outside`` gives each figure as a share of."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from a2wsgi import WSGIMiddleware

BODY = b"hello"


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


application = WSGIMiddleware(hello, workers=int(os.environ.get("WEB_THREADS", "16")))  # type: ignore[arg-type]
