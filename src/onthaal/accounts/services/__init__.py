"""Writes of the accounts app, one module per use case: logins and lockout (``login``), API
tokens (``tokens``), memberships and the four-eyes rule (``memberships``)."""

from onthaal.accounts.services.login import LoginRefused, lock_remaining, login_attempt

__all__ = ["LoginRefused", "lock_remaining", "login_attempt"]
