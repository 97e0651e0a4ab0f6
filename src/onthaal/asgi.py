"""The ASGI application: Django, with the live event streams routed around its middleware
(see ``onthaal.queue.live``)."""

import os
import re
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
django_application = get_asgi_application()

EVENTS_PATH = re.compile(r"^/api/v1/locations/(\d+)/events/$")


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope.get("method") == "GET":
        match = EVENTS_PATH.match(scope.get("path", ""))
        if match:
            from onthaal.queue.live import asgi_events

            await asgi_events(scope, receive, send, int(match.group(1)))
            return
    await django_application(scope, receive, send)
