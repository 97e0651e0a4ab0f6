"""Domain errors raised by services; the API and the views turn them into 4xx responses."""

from __future__ import annotations


class DomainError(Exception):
    """A refused use case: bad input or a rule that does not allow it.

    ``fields`` maps a field name to its message(s); ``code`` is a stable machine code.
    """

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class AccessDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"


class InvalidInput(Exception):
    """A request parameter that cannot be read as what its field asks (an id that is not a
    number, a day outside the calendar): a 400 with the field's message, raised by
    ``core.params`` before anything is written.

    Not a ``DomainError``: views that turn a refused use case into a message and a redirect do
    not catch it, so it reaches ``core.middleware.DomainErrorMiddleware`` (pages) or
    ``api.errors.exception_handler`` (API) and is always answered with a 400.
    """

    status_code = 400
    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.fields = {field: [message]}
