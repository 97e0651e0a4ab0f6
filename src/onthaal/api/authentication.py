"""API token authentication that reads the staff member's memberships with the token.

Every token request (kiosks, desks, integrations) then asks ``onthaal.accounts.access`` about
roles without a query of its own: one query instead of two on every request, written by hand
(``onthaal.core.sql``) because it runs on every request.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework import authentication
from rest_framework.authtoken.models import Token

from onthaal.accounts.models import Membership
from onthaal.core.sql import Columns, split
from onthaal.organisation.models import Department

# Table and column names come from the models' metadata; the key is a parameter.
MEMBERSHIPS_SQL = """
SELECT {membership}, {user}, {department}
  FROM "{token_table}" t
  JOIN "{membership_table}" m ON m."user_id" = t."user_id"
  JOIN "{user_table}" u ON u."id" = t."user_id"
  LEFT JOIN "{department_table}" d ON d."id" = m."department_id"
 WHERE t."key" = %s
 ORDER BY m."id"
"""


class _TokenQuery:
    """A token's user and the user's memberships with their departments, in one statement."""

    @cached_property
    def parts(self) -> tuple[list[Columns[Any]], str]:
        membership = Columns(Membership, "m")
        user = Columns(get_user_model(), "u")
        department = Columns(Department, "d")
        sql = MEMBERSHIPS_SQL.format(
            membership=membership.sql,
            user=user.sql,
            department=department.sql,
            token_table=Token._meta.db_table,
            membership_table=Membership._meta.db_table,
            user_table=get_user_model()._meta.db_table,
            department_table=Department._meta.db_table,
        )
        return [membership, user, department], sql

    def memberships(self, key: str) -> list[Membership]:
        columns, sql = self.parts
        with connection.cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        found: list[Membership] = []
        for row in rows:
            membership, user, membership.department = split(row, columns, connection)
            membership.user = found[0].user if found else user  # one user for all of them
            found.append(membership)
        return found


_QUERY = _TokenQuery()


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        rows = _QUERY.memberships(key)
        if not rows:  # an unknown token, or a user without roles: DRF's own checks and messages
            return super().authenticate_credentials(key)
        user: Any = rows[0].user
        if not user.is_active:
            return super().authenticate_credentials(key)  # refused there, with DRF's message
        user._onthaal_memberships = rows  # what access.memberships() caches
        token = Token(key=key, user=user)
        token._state.adding = False
        return user, token
