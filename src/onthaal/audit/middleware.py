"""Writes the refusals of a request after its transactions have ended (so they survive a
rollback of the refused request)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from onthaal.audit import services


class AuditRefusalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = services._pending_refusals.set([])
        try:
            return self.get_response(request)
        finally:
            services.flush_pending_refusals()
            services._pending_refusals.reset(token)
