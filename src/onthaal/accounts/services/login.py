"""Logins and lockout.

A user name is locked for ``LOCKOUT_MINUTES`` after ``LOCKOUT_ATTEMPTS`` failed logins within
that period. Every failure, lockout and login is an audit event.

The check cannot be raced: an attempt takes a slot first — under a lock on the (case-folded)
user name, it counts the recent failures and, when the name is not locked, records itself as
a failure — and only then is the password checked, outside that short transaction (hashing
takes a while and must not hold the lock). A right password removes the failures up to its
own; a wrong one leaves its record in place. However many attempts arrive at once, at most
``LOCKOUT_ATTEMPTS`` passwords are checked before the name is locked. An attempt whose process
dies while checking stays counted as a failure until the period ends.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest

from onthaal.accounts.models import LoginFailure
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import client, clock
from onthaal.core.locks import lock_name


class LoginRefused(Exception):
    def __init__(self, *, locked: bool, minutes_left: int = 0, disabled: bool = False) -> None:
        super().__init__("locked" if locked else "disabled" if disabled else "invalid")
        self.locked = locked
        self.minutes_left = minutes_left
        # Local passwords are off (``LOCAL_PASSWORDS``) and this is no break-glass account.
        self.disabled = disabled


def break_glass(user: Any) -> bool:
    """May ``user`` log in with a password while local passwords are off? Only an
    administrator who has already set up the two-step login (so the password alone never
    lets anyone in, nor lets them set up an app of their own)."""
    from onthaal.accounts import access
    from onthaal.accounts.services import twofactor

    return access.has_role(user, "admin") and twofactor.is_enrolled(user)


def _window_start() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES)


def lock_remaining(username: str) -> int:
    """Minutes the user name stays locked (0 when it is not locked)."""
    failures = LoginFailure.objects.filter(username__iexact=username, at__gte=_window_start())
    times = list(failures.order_by("-at").values_list("at", flat=True)[: settings.LOCKOUT_ATTEMPTS])
    if len(times) < settings.LOCKOUT_ATTEMPTS:
        return 0
    unlock_at = times[0] + dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    seconds = (unlock_at - clock.now()).total_seconds()
    return max(1, int(seconds // 60) + (1 if seconds % 60 else 0))


def _take_attempt(*, request: HttpRequest, username: str) -> LoginFailure:
    """Record the attempt as a failure, unless the name is locked (then ``LoginRefused``)."""
    with transaction.atomic():
        lock_name("login", username.casefold())
        minutes = lock_remaining(username)
        if not minutes:
            return LoginFailure.objects.create(
                username=username[:150], at=clock.now(), ip=client.address(request)
            )
        record_event(
            action=Action.LOCKED_OUT,
            actor="anonymous",
            object_type="user",
            object_id=username[:100],
            details={"reason": "attempt while locked"},
            request=request,
        )
    raise LoginRefused(locked=True, minutes_left=minutes)


def login_attempt(*, request: HttpRequest, username: str, password: str) -> Any:
    """Authenticate a staff member; raise ``LoginRefused`` for a wrong password or a lock."""
    username = username.strip()
    attempt = _take_attempt(request=request, username=username)
    user = authenticate(request, username=username, password=password)
    if user is not None and not settings.LOCAL_PASSWORDS and not break_glass(user):
        # A right password, but passwords are off for this account: refused and audited; the
        # attempt stays counted as a failure.
        with transaction.atomic():
            record_event(
                action=Action.LOGIN_FAILED,
                actor="anonymous",
                object_type="user",
                object_id=user.pk,
                details={"reason": "local_password_disabled"},
                request=request,
            )
        raise LoginRefused(locked=False, disabled=True)
    if user is not None:
        with transaction.atomic():
            LoginFailure.objects.filter(username__iexact=username, pk__lte=attempt.pk).delete()
            record_event(
                action=Action.LOGIN,
                actor=user,
                object_type="user",
                object_id=user.pk,
                request=request,
            )
        return user
    with transaction.atomic():
        record_event(
            action=Action.LOGIN_FAILED,
            actor="anonymous",
            object_type="user",
            object_id=username[:100],
            request=request,
        )
        minutes = lock_remaining(username)
        if minutes:
            record_event(
                action=Action.LOCKED_OUT,
                actor="anonymous",
                object_type="user",
                object_id=username[:100],
                details={"attempts": settings.LOCKOUT_ATTEMPTS, "minutes": minutes},
                request=request,
            )
    raise LoginRefused(locked=bool(minutes), minutes_left=minutes)
