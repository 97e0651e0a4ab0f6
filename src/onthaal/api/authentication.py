"""API token authentication that reads the staff member's memberships with the token.

Every token request (kiosks, desks, integrations) then asks ``onthaal.accounts.access`` about
roles without a query of its own: one query instead of two on every request.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication
from rest_framework.authtoken.models import Token

from onthaal.accounts.models import Membership


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        rows = list(
            Membership.objects.filter(user__auth_token__key=key).select_related(
                "user", "department"
            )
        )
        if not rows:  # an unknown token, or a user without roles: DRF's own checks and messages
            return super().authenticate_credentials(key)
        user: Any = rows[0].user
        if not user.is_active:
            return super().authenticate_credentials(key)  # refused there, with DRF's message
        for membership in rows:
            membership.user = user
        user._onthaal_memberships = rows  # what access.memberships() caches
        token = Token(key=key, user=user)
        token._state.adding = False
        return user, token
