"""Two-step login for staff: a time-based code (TOTP, RFC 6238) from an authenticator app,
with ten single-use recovery codes. The crypto and the devices are django-otp's
(``TOTPDevice``, ``StaticDevice``); this module decides who must use it and audits every
enrolment, reset, wrong code and use of a recovery code.

Who must: administrators, auditors and team leads (``access.TWO_FACTOR_ROLES``); anyone else
may enrol, and once enrolled must give a code at every login too, until they turn it off
themselves (``turn_off``: their password and a current code; refused, and audited, for the
roles that require it). An administrator resets anyone's (``reset``: a lost phone). While ``DEBUG`` is on, a
login with the public demo password skips the second step (``waive_for_demo``); with
``DEBUG`` off the demo password does not log in at all (``accounts.backends``).

A session counts as verified once django-otp's ``login`` has stored the device in it
(``OTPMiddleware`` then says ``request.user.is_verified()``); until then
``accounts.middleware.SecondFactorMiddleware`` lets the user reach only this step.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal

RECOVERY_CODES = 10
DEVICE_NAME = "authenticator"
RECOVERY_NAME = "recovery"
WAIVED_KEY = "onthaal_second_factor_waived"
SSO_KEY = "onthaal_sso"  # accounts.services.sso.SESSION_KEY

VERIFY = "verify"
ENROL = "enrol"


def confirmed_totp(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def waive_for_demo(request: HttpRequest, password: str) -> None:
    """In DEBUG, a login with the demo password (printed at start-up) skips the second step."""
    from onthaal.accounts.backends import DEMO_PASSWORD

    if settings.DEBUG and password == DEMO_PASSWORD:
        request.session[WAIVED_KEY] = True


def due(request: HttpRequest) -> str | None:
    """What the signed-in user still has to do before anything else: ``VERIFY`` (give a
    code), ``ENROL`` (set up the app: their role requires it) or nothing (None)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # OTPMiddleware gives the request's user ``is_verified``; a user just logged in by this
    # request (``django.contrib.auth.login``) has not given a code yet.
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return None
    if settings.DEBUG and request.session.get(WAIVED_KEY):
        return None
    # A single sign-on: the organisation's provider did the strong sign-in (when so set).
    if settings.SSO_SECOND_STEP_AT_PROVIDER and request.session.get(SSO_KEY):
        return None
    if is_enrolled(user):
        return VERIFY
    if access.needs_second_factor(user):
        return ENROL
    return None


def enrolment_device(user: Any) -> TOTPDevice:
    """The device being set up: the same one until it is confirmed (reloading the page shows
    the same QR code), created when there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _audit(action: str, user: Any, actor: Any, **details: Any) -> None:
    record_event(
        action=action,
        actor=actor,
        object_type="accounts.second_factor",
        object_id=user.pk,
        details={"user": user.get_username(), **details},
    )


def enrol_confirm(*, request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with its first code: the device becomes the user's, ten recovery codes
    are made (returned once, to show), and the session counts as verified. None (and an
    audited failure) when the code is wrong."""
    user = request.user
    if not device.verify_token(code.strip()):
        _audit(Action.LOGIN_FAILED, user, user, step="enrolment")
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        _audit(Action.CREATE, user, user, event="enrolled", recovery_codes=len(codes))
    otp_login(request, device)
    return codes


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def recovery_codes_renew(*, request: HttpRequest) -> list[str]:
    """New recovery codes for a verified user; the old ones stop working."""
    user = request.user
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        _audit(Action.UPDATE, user, user, event="recovery_codes_renewed")
    return codes


def verify(*, request: HttpRequest, code: str) -> bool:
    """The second step of a login: a code of the app, or one of the recovery codes (used
    once). A wrong code is an audit event; each device slows down guessing (django-otp's
    throttling: every failure doubles the wait before the next try is checked)."""
    user = request.user
    code = "".join(code.split()).lower()
    totp = confirmed_totp(user)
    if totp is not None and code.isdigit() and totp.verify_token(code):
        otp_login(request, totp)
        record_event(
            action=Action.LOGIN,
            actor=user,
            object_type="user",
            object_id=user.pk,
            details={"step": "second", "with": "app"},
        )
        return True
    static = StaticDevice.objects.filter(user=user, confirmed=True).first()
    if static is not None and not code.isdigit() and _use_recovery_code(static, code):
        otp_login(request, static)
        record_event(
            action=Action.LOGIN,
            actor=user,
            object_type="user",
            object_id=user.pk,
            details={"step": "second", "with": "recovery_code", "left": recovery_left(user)},
        )
        return True
    _audit(Action.LOGIN_FAILED, user, user, step="login")
    return False


def _use_recovery_code(device: StaticDevice, code: str) -> bool:
    """Spend ``code``: one DELETE, so of two requests with the same code only one succeeds
    (django-otp's own check reads, then deletes)."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        return False
    deleted, _ = StaticToken.objects.filter(device=device, token=code).delete()
    if deleted:
        device.throttle_reset()
        return True
    device.throttle_increment()
    return False


def reset(*, actor: Any, user: Any) -> None:
    """Remove a staff member's app and recovery codes (a lost phone), by an administrator.
    Their next login asks them to enrol again (when their role requires it)."""
    access.require(actor, "accounts.change", object_type="user", object_id=str(user.pk))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _audit(Action.DELETE, user, actor, event="reset", self=actor.pk == user.pk)


class TurnOffRefused(Exception):
    """Two-step login stays on: ``reason`` is ``REQUIRED`` (the user's role requires it),
    ``NOT_ON`` (there is nothing to turn off), ``WRONG_CODE`` or ``WRONG_PASSWORD``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


REQUIRED = "required_by_role"
NOT_ON = "not_on"
WRONG_CODE = "wrong_code"
WRONG_PASSWORD = "wrong_password"  # noqa: S105 (a reason, not a password)


def turn_off(*, request: HttpRequest, password: str, code: str) -> None:
    """Turn off one's own two-step login (app and recovery codes), confirmed with a current
    code of the app and the password. Refused for a role that requires two-step login (an
    audited refusal: ``access.needs_second_factor``).

    The code is checked first and the password only after a right code: someone holding only
    the session cannot test passwords here, and wrong codes are throttled by the device
    (django-otp). Every failure is an audit event."""
    user = request.user
    if access.needs_second_factor(user):
        record_refusal(
            actor=user,
            object_type="accounts.second_factor",
            object_id=user.pk,
            details={"user": user.get_username(), "event": "turn_off", "reason": REQUIRED},
        )
        raise TurnOffRefused(REQUIRED)
    totp = confirmed_totp(user)
    if totp is None:
        raise TurnOffRefused(NOT_ON)
    code = "".join(code.split())
    if not (code.isdigit() and totp.verify_token(code)):
        _audit(Action.LOGIN_FAILED, user, user, step="turn_off", reason=WRONG_CODE)
        raise TurnOffRefused(WRONG_CODE)
    if not user.check_password(password):
        _audit(Action.LOGIN_FAILED, user, user, step="turn_off", reason=WRONG_PASSWORD)
        raise TurnOffRefused(WRONG_PASSWORD)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        _audit(Action.DELETE, user, user, event="turned_off")
    # The session named the app as its verified device; it is gone.
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
