"""API token authentication that reads the staff member's memberships with the token.

Tokens are stored as their SHA-256 only (``onthaal.accounts.services.tokens``): the presented
token is hashed and looked up. Every token request (kiosks, desks, integrations) then asks
``onthaal.accounts.access`` about roles without a query of its own: one query on every
request, written by hand (``onthaal.core.sql``) because it runs on every request.

The rows that query found are kept in the process for ``API_TOKEN_CACHE_SECONDS`` (default 5;
0: not kept), by the token's hash, and each request builds its own token, user and memberships
from them (nothing is shared between requests). A save or delete of a token, a user, a
membership or a department empties what this process keeps (``forget_tokens``), so a token
revoked, a user deactivated or a role taken away here is refused at once; an app process that
did not make the change refuses it within ``API_TOKEN_CACHE_SECONDS`` (ADR 0015). The same goes
for changes that bypass the models' signals (``QuerySet.update``, SQL).
"""

from __future__ import annotations

import threading
import time
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.signals import post_delete, post_save
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

    def __init__(self) -> None:
        # The token's hash -> (when read, time.monotonic(); the rows). Unknown tokens are not
        # kept: guessing must not fill the memory.
        self.kept: dict[str, tuple[float, list[tuple[Any, ...]]]] = {}
        self.generation = 0  # counts forget(): a read that raced a change is not kept
        self.lock = threading.Lock()

    def forget(self) -> None:
        with self.lock:
            self.generation += 1
            self.kept.clear()

    def _rows(self, key: str) -> list[tuple[Any, ...]]:
        hashed = digest(key)
        seconds = settings.API_TOKEN_CACHE_SECONDS
        now = time.monotonic()
        kept = self.kept.get(hashed)
        if kept is not None and 0 <= now - kept[0] < seconds:
            return kept[1]
        generation = self.generation
        with connection.cursor() as cursor:
            cursor.execute(self.parts[1], [hashed])
            rows = cursor.fetchall()
        # Inside a transaction the rows may be its own uncommitted writes: not kept (a test
        # case's wrapping transaction aside).
        if rows and seconds > 0 and not _in_own_transaction():
            with self.lock:
                if generation == self.generation:
                    if len(self.kept) >= MAX_KEPT:
                        self.kept.clear()
                    self.kept[hashed] = (now, rows)
        return rows

    def token(self, key: str) -> ApiToken | None:
        """The active token whose text is ``key``, with ``user`` and the user's memberships
        (cached where ``access.memberships`` looks); None for an unknown or revoked token."""
        columns = self.parts[0]
        rows = self._rows(key)
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


def _in_own_transaction() -> bool:
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


MAX_KEPT = 10_000  # tokens kept at most (all are dropped when a new one would exceed it)
_QUERY = _TokenQuery()


def forget_tokens(**_: Any) -> None:
    """Drop the tokens this process keeps (see the module's docstring)."""
    _QUERY.forget()


for _model in (ApiToken, get_user_model(), Membership, Department):
    post_save.connect(forget_tokens, sender=_model, dispatch_uid=f"forget-tokens-save-{_model}")
    post_delete.connect(forget_tokens, sender=_model, dispatch_uid=f"forget-tokens-del-{_model}")


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
