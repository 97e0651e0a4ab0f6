"""Authentication backend: Django's model backend plus the demo-password rule.

The demo municipality's accounts carry a well-known password that is printed at start-up.
Those passwords are refused whenever DEBUG is off, so a demo database put into production by
mistake cannot be logged into with them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

DEMO_PASSWORD = "zonnedoorn-demo"  # noqa: S105 - public on purpose, refused without DEBUG


class OnthaalBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if password == DEMO_PASSWORD and not settings.DEBUG:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
