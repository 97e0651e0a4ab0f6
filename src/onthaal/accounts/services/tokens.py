"""API tokens: made, shown once, stored as a hash, revoked.

A token is 32 random bytes (``secrets.token_urlsafe``): a fast hash (SHA-256) is enough to
keep it from whoever reads the database, as there is nothing to guess. Every creation and
revocation is an audit event naming the token's owner, name and prefix, never the token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onthaal.accounts.models import ApiToken
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError, NotFound

PREFIX_LENGTH = 8


def digest(key: str) -> str:
    """What is stored of a token (and looked up when one is presented)."""
    return hashlib.sha256(key.encode()).hexdigest()


def _details(token: ApiToken) -> dict[str, Any]:
    return {"user": token.user.get_username(), "name": token.name, "prefix": token.prefix}


def token_create(*, actor: Any, user: Any, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it and the token text, which is never shown again."""
    key = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip()[:100],
        key_hash=digest(key),
        prefix=key[:PREFIX_LENGTH],
        created_at=clock.now(),
    )
    if not token.name:
        raise DomainError(_("A token needs a name."), fields={"name": [_("Required.")]})
    try:
        with transaction.atomic():
            token.save()
            record_event(
                action=Action.CREATE,
                actor=actor,
                object_type="accounts.apitoken",
                object_id=token.pk,
                details=_details(token),
            )
    except IntegrityError as exc:
        raise Conflict(
            _("%(user)s already has a token named %(name)s: revoke it first.")
            % {"user": user.get_username(), "name": token.name},
            code="token_name_taken",
            fields={"name": [_("This name is taken.")]},
        ) from exc
    return token, key


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke ``token`` (it stays, for the record); revoking it again changes nothing."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="accounts.apitoken",
            object_id=token.pk,
            details={**_details(token), "revoked": True},
        )
    return token


def active_token(*, user: Any, name: str) -> ApiToken:
    token = ApiToken.objects.filter(user=user, name=name, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound(
            _("%(user)s has no active token named %(name)s.")
            % {"user": user.get_username(), "name": name}
        )
    return token
