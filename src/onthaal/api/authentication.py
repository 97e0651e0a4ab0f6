"""API token authentication that reads the staff member's memberships with the token.

Tokens are stored as their SHA-256 only (``onthaal.accounts.services.tokens``): the presented
token is hashed and looked up. Every token request (kiosks, desks, integrations) then asks
``onthaal.accounts.access`` about roles without a query of its own: one query on every
request, written by hand (``onthaal.core.sql``) because it runs on every request.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from onthaal.accounts.models import ApiToken, Membership
from onthaal.accounts.services.tokens import digest
from onthaal.core.sql import Columns, split
from onthaal.organisation.models import Department

# Table and column names come from the models' metadata; the hash is a parameter. A user
# without memberships still gives one row (the LEFT JOIN's NULLs).
MEMBERSHIPS_SQL = """
SELECT {token}, {user}, {membership}, {department}
  FROM "{token_table}" t
  JOIN "{user_table}" u ON u."id" = t."user_id"
  LEFT JOIN "{membership_table}" m ON m."user_id" = t."user_id"
  LEFT JOIN "{department_table}" d ON d."id" = m."department_id"
 WHERE t."key_hash" = %s AND t."revoked_at" IS NULL
 ORDER BY m."id"
"""


class _TokenQuery:
    """A token, its user and the user's memberships with their departments, in one
    statement."""

    @cached_property
    def parts(self) -> tuple[list[Columns[Any]], str]:
        token = Columns(ApiToken, "t")
        user = Columns(get_user_model(), "u")
        membership = Columns(Membership, "m")
        department = Columns(Department, "d")
        sql = MEMBERSHIPS_SQL.format(
            token=token.sql,
            user=user.sql,
            membership=membership.sql,
            department=department.sql,
            token_table=ApiToken._meta.db_table,
            user_table=get_user_model()._meta.db_table,
            membership_table=Membership._meta.db_table,
            department_table=Department._meta.db_table,
        )
        return [token, user, membership, department], sql

    def token(self, key: str) -> ApiToken | None:
        """The active token whose text is ``key``, with ``user`` and the user's memberships
        (cached where ``access.memberships`` looks); None for an unknown or revoked token."""
        columns, sql = self.parts
        with connection.cursor() as cursor:
            cursor.execute(sql, [digest(key)])
            rows = cursor.fetchall()
        if not rows:
            return None
        found: ApiToken | None = None
        memberships: list[Membership] = []
        for row in rows:
            token, owner, membership, department = split(row, columns, connection)
            if found is None:
                found = token
                found.user = owner
            if membership is not None:
                membership.department = department
                membership.user = found.user  # one user for all of them
                memberships.append(membership)
        assert found is not None
        user: Any = found.user
        user._onthaal_memberships = memberships  # what access.memberships() caches
        return found


_QUERY = _TokenQuery()


class TokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <token>``, checked against the stored hashes."""

    model = ApiToken

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        token = _QUERY.token(key)
        if token is None:  # DRF's own messages
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
