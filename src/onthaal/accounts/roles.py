"""Which roles a user holds: the memberships, read once per request and kept on the user.

Below ``access`` and the audit log, which both ask it: the audit log records the actor's
roles with every event, and ``access`` records its refusals in the audit log. Neither imports
the other's caller (no import circle between ``accounts`` and ``audit``)."""

from __future__ import annotations

from typing import Any

from onthaal.accounts.models import Membership


def memberships(user: Any) -> list[Membership]:
    """The user's memberships, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_onthaal_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("department"))
        user._onthaal_memberships = cached
    return cached


def roles(user: Any) -> set[str]:
    return {m.role for m in memberships(user)}
