"""One error shape for the whole API.

    {"code": "invalid", "message": "…", "fields": {"to": [{"code": "invalid", "message": "…"}]}}

``code`` is stable and machine-readable; ``message`` is in the request's language.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from onthaal.audit.services import record_refusal
from onthaal.core.errors import DomainError, InvalidInput

# The schema of the error shape, for extend_schema(responses={400: ErrorSerializer, ...}).
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "fields": serializers.DictField(
            child=inline_serializer(
                name="FieldErrorList",
                fields={"code": serializers.CharField(), "message": serializers.CharField()},
                many=True,
            ),
            required=False,
        ),
    },
)


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            for field, errors in _flatten(value, name).items():
                out.setdefault(field, []).extend(errors)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            name = f"{prefix}.{index}" if isinstance(item, dict) else prefix
            for field, errors in _flatten(item, name).items():
                out.setdefault(field, []).extend(errors)
    else:
        code = getattr(detail, "code", "invalid") or "invalid"
        out.setdefault(prefix or "non_field_errors", []).append(
            {"code": str(code), "message": str(detail)}
        )
    return out


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return body


def domain_error_body(error: DomainError | InvalidInput) -> dict[str, Any]:
    """The error shape of a refused use case or an unreadable parameter (a page's JSON answers
    use it too)."""
    fields = {
        name: [{"code": error.code, "message": str(m)} for m in messages]
        for name, messages in error.fields.items()
    }
    return error_body(error.code, error.message, fields)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError | InvalidInput):
        return Response(domain_error_body(exc), status=exc.status_code)
    if isinstance(
        exc,
        exceptions.PermissionDenied | exceptions.NotAuthenticated | exceptions.AuthenticationFailed,
    ):
        request = context.get("request")
        view = context.get("view")
        record_refusal(
            actor=getattr(request, "user", None) or "anonymous",
            object_type="api",
            object_id=getattr(request, "path", "")[:100],
            details={"view": type(view).__name__ if view else "", "reason": exc.default_code},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
        return exception_handler(exc, context)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", _("The request has errors; see the fields."), _flatten(exc.detail)
        )
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        codes = exc.get_codes()
        response.data = error_body(
            codes if isinstance(codes, str) else exc.default_code, str(detail)
        )
    return response
