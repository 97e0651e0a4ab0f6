"""``onthaal token create USERNAME [--name kiosk-1]``, ``onthaal token revoke USERNAME --name
kiosk-1`` and ``onthaal token list [USERNAME]``: API tokens from the command line.

The token is printed once, by ``create``; the database keeps only its hash. Each creation and
revocation is an audit event, by the system actor ``command line``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from onthaal.accounts.models import ApiToken
from onthaal.accounts.services import tokens
from onthaal.core.errors import DomainError

ACTOR = "command line"


class Command(BaseCommand):
    help = "Create, revoke or list API tokens (shown once; stored as a hash)."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Make a token and print it (only this once).")
        create.add_argument("username")
        create.add_argument("--name", default="", help="A name to tell it apart (kiosk-1).")
        revoke = sub.add_parser("revoke", help="Revoke a user's token by its name.")
        revoke.add_argument("username")
        group = revoke.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", default="", help="The token's name.")
        group.add_argument("--all", action="store_true", help="Every active token of the user.")
        listing = sub.add_parser("list", help="The tokens (names and prefixes, never tokens).")
        listing.add_argument("username", nargs="?", default="")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as refused:
            raise CommandError(refused.message) from refused

    def _user(self, username: str) -> Any:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        return user

    def _create(self, *, username: str, name: str, **options: Any) -> None:
        user = self._user(username)
        name = name or f"token-{user.api_tokens.count() + 1}"
        token, key = tokens.token_create(actor=ACTOR, user=user, name=name)
        self.stderr.write(
            f"Token {token.name!r} of {username}. Copy it now: it is not shown again.\n"
        )
        self.stdout.write(key)

    def _revoke(self, *, username: str, name: str, all: bool, **options: Any) -> None:
        user = self._user(username)
        if all:
            found = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
        else:
            found = [tokens.active_token(user=user, name=name)]
        for token in found:
            tokens.token_revoke(actor=ACTOR, token=token)
            self.stdout.write(f"Revoked {token.name!r} ({token.prefix}…) of {username}.")
        if not found:
            self.stdout.write(f"{username} has no active tokens.")

    def _list(self, *, username: str, **options: Any) -> None:
        found = ApiToken.objects.select_related("user").order_by("user__username", "name")
        if username:
            found = found.filter(user=self._user(username))
        for token in found:
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.user.get_username()}\t{token.name}\t{token.prefix}…\t"
                f"{token.created_at:%Y-%m-%d %H:%M}\t{state}"
            )
