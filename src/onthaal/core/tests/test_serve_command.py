"""``onthaal serve``: what it asks uvicorn for."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from django.core.management import call_command


@pytest.fixture
def started(monkeypatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    monkeypatch.delenv("ACCESS_LOG", raising=False)
    return calls


def test_without_debug_no_line_per_request_is_logged_unless_asked(started, settings):
    settings.DEBUG = False
    call_command("serve", "--workers", "2")
    call_command("serve", "--access-log")
    assert [c["access_log"] for c in started] == [False, True]
    assert started[0]["app"] == "onthaal.asgi:application" and started[0]["workers"] == 2


def test_in_development_the_access_log_is_on(started, settings, monkeypatch):
    settings.DEBUG = True
    call_command("serve")
    monkeypatch.setenv("ACCESS_LOG", "0")
    call_command("serve")
    assert [c["access_log"] for c in started] == [True, False]


def test_uvicorn_believes_forwarded_headers_from_the_configured_proxies_only(started, settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.5", "192.0.2.0/24"]
    call_command("serve")
    settings.FORWARDED_ALLOW_IPS = []
    call_command("serve")
    assert (started[0]["proxy_headers"], started[0]["forwarded_allow_ips"]) == (
        True,
        "10.0.0.5,192.0.2.0/24",
    )
    assert (started[1]["proxy_headers"], started[1]["forwarded_allow_ips"]) == (False, None)
