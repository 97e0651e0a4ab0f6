"""Request id (one per request, echoed in the response and stored on audit events); input that
no part of Onthaal accepts (NUL characters); domain errors and unreadable parameters
(``core.params``) that escape a page view."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from onthaal.core import context

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.current_request.set(request)
        id_token = context.current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            context.current_request_id.reset(id_token)
            context.current_request.reset(token)
        response[self.header] = request_id
        return response


class NulCharacterMiddleware:
    """A NUL character is never valid input (PostgreSQL cannot store one in text): a path or
    query string with one gets a 400 before any view reads it, not a database error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            message = _("The address contains a character that is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "invalid", "message": message, "fields": {}}, status=400
                )
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class DomainErrorMiddleware:
    """A refused use case that escapes a page view becomes a 4xx page, never a 500:
    ``AccessDenied`` → 403, ``NotFound`` → 404, any other ``DomainError`` → its status; a
    parameter ``core.params`` could not read (``InvalidInput``) → 400 with the field's message
    (the API's error shape under /api/)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.core.exceptions import PermissionDenied
        from django.http import Http404
        from django.urls import get_resolver
        from django.views import defaults

        from onthaal.core.errors import AccessDenied, DomainError, InvalidInput, NotFound

        if isinstance(exception, InvalidInput):
            return invalid_input_response(request, exception)
        if isinstance(exception, AccessDenied):
            # The project's 403 page (handler403), as for a PermissionDenied.
            handler: Any = get_resolver().resolve_error_handler(403)
            response: HttpResponse = handler(request, PermissionDenied(exception.message))
            return response
        if isinstance(exception, NotFound):
            return defaults.page_not_found(request, Http404(exception.message))
        if isinstance(exception, DomainError):
            return HttpResponse(exception.message, status=exception.status_code)
        return None


def invalid_input_response(request: HttpRequest, error: Any) -> HttpResponse:
    """400 for a parameter that could not be read: the API's error shape under /api/ (and for
    a page's JSON answers), else a page that names the field and says what it asks."""
    fields = {name: [str(m) for m in messages] for name, messages in error.fields.items()}
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        body = {
            "code": error.code,
            "message": _("The request has errors; see the fields."),
            "fields": {
                name: [{"code": error.code, "message": m} for m in messages]
                for name, messages in fields.items()
            },
        }
        return JsonResponse(body, status=400)
    from django.shortcuts import render
    from django.utils.http import url_has_allowed_host_and_scheme

    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    # A device's page (kiosk, screen, enrolment) answers in the device's own frame: no
    # citizens' menu and no staff link on a kiosk in the waiting room.
    device = request.path.startswith(DEVICE_PATHS)
    context = {
        "fields": fields,
        "back": back,
        "base_template": "devices/base.html" if device else "base.html",
    }
    return render(request, "core/invalid_input.html", context, status=400)


# The paths of the pages that run on a device (kiosk, waiting-room screen, its enrolment).
DEVICE_PATHS = ("/kiosk/", "/screen/", "/device/")


class ContentSecurityPolicyMiddleware:
    """Every response carries ``settings.CONTENT_SECURITY_POLICY``: scripts and styles from
    Onthaal's own address only (no inline script, no ``onclick``, no ``javascript:`` link),
    nothing framed, forms posted only to Onthaal. A script that an attacker manages to put in a
    page (a name, a mail subject) is not run by the browser."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
