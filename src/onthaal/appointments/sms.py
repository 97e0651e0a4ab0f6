"""Text messages through a gateway interface. ``SMS_BACKEND`` picks the gateway:

* ``file`` (default): appends each message to ``DATA_DIR/sms.log`` — the demo and the tests;
* ``console``: prints it.

A real gateway (an operator's HTTP API) is a class with ``send(to, text)`` named by its dotted
path in ``SMS_BACKEND``."""

from __future__ import annotations

import json
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from onthaal.core import clock


class Gateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class FileGateway:
    def send(self, to: str, text: str) -> None:
        path = settings.DATA_DIR / "sms.log"
        with path.open("a", encoding="utf-8") as log:
            log.write(json.dumps({"at": clock.now().isoformat(), "to": to, "text": text}) + "\n")


class ConsoleGateway:
    def send(self, to: str, text: str) -> None:
        print(f"SMS to {to}: {text}")  # noqa: T201 — the console gateway prints


def gateway() -> Gateway:
    name = getattr(settings, "SMS_BACKEND", "file")
    if name == "file":
        return FileGateway()
    if name == "console":
        return ConsoleGateway()
    gateway_class = import_string(name)
    instance: Gateway = gateway_class()
    return instance
