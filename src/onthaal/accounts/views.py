"""Staff login (password, then the second step where it applies), logout, and the start page
of each role."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from onthaal.accounts import access, services
from onthaal.accounts.forms import CodeForm, LoginForm, TurnOffForm
from onthaal.accounts.services import sso, twofactor
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import oidc
from onthaal.organisation.models import Location


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except services.LoginRefused as refused:
            status = 403 if refused.locked else 200
            if refused.locked:
                message = ngettext(
                    "Too many failed attempts. This account is locked for %(minutes)d more "
                    "minute. Try again later or ask an administrator.",
                    "Too many failed attempts. This account is locked for %(minutes)d more "
                    "minutes. Try again later or ask an administrator.",
                    refused.minutes_left,
                ) % {"minutes": refused.minutes_left}
            else:
                # Also when local passwords are off and the password was right: the page
                # says passwords are off, and a right password is not confirmed to anyone.
                message = _("The user name or password is not correct.")
            form.add_error(None, message)
        else:
            login(request, user)
            # A password login is no single sign-on, even in a session that had one.
            request.session.pop(sso.SESSION_KEY, None)
            twofactor.waive_for_demo(request, form.cleaned_data["password"])
            target = _next(request)
            step = twofactor.due(request)
            if step is not None:
                page = "accounts:second-factor" if step == twofactor.VERIFY else "accounts:enrol"
                return HttpResponseRedirect(f"{resolve_url(page)}?{urlencode({'next': target})}")
            return HttpResponseRedirect(target)
    return _login_page(request, form, status=status)


def _login_page(
    request: HttpRequest, form: LoginForm | None = None, *, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {
        "form": form or LoginForm(),
        "demo": settings.DEBUG,
        "sso": sso.enabled(),
        "local_passwords": settings.LOCAL_PASSWORDS,
        "next": request.GET.get("next", ""),
        "sso_error": error,
    }
    return render(request, "accounts/login.html", context, status=status)


SSO_NEXT = "onthaal_sso_next"


def sso_begin(request: HttpRequest) -> HttpResponse:
    """ "Sign in with your organisation account": off to the organisation's provider."""
    if not sso.enabled():
        return HttpResponseRedirect(resolve_url("accounts:login"))
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}):
        request.session[SSO_NEXT] = target
    callback = request.build_absolute_uri(resolve_url("accounts:sso-callback"))
    try:
        return oidc.begin(request, sso.config(), redirect_uri=callback)
    except oidc.SignInFailed as failed:
        sso.audit_refusal(request, failed.reason, detail=failed.detail)
        message = _("The organisation's sign-in service cannot be reached. Try again later.")
        return _login_page(request, status=503, error=message)


def sso_callback(request: HttpRequest) -> HttpResponse:
    """Back from the provider: check what it says (``core.oidc``), find or make the account
    and its memberships (``services.sso``), and sign in — or say why not."""
    if not sso.enabled():
        return HttpResponseRedirect(resolve_url("accounts:login"))
    try:
        claims = oidc.complete(request, sso.config())
    except oidc.SignInFailed as failed:
        sso.audit_refusal(request, failed.reason, detail=failed.detail)
        if failed.reason == oidc.UNREACHABLE:
            message = _("The organisation's sign-in service cannot be reached. Try again later.")
            return _login_page(request, status=503, error=message)
        message = _("Signing in with your organisation account did not succeed. Start again.")
        return _login_page(request, status=400, error=message)
    try:
        outcome = sso.sign_in(request=request, claims=claims)
    except sso.SignInRefused:
        message = _(
            "Your organisation account has no role in Onthaal. Ask an administrator to give "
            "your group access."
        )
        return _login_page(request, status=403, error=message)
    target = request.session.pop(SSO_NEXT, "")
    login(request, outcome.user, backend="onthaal.accounts.backends.OnthaalBackend")
    request.session[sso.SESSION_KEY] = True
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = resolve_url(access.start_page(outcome.user))
    step = twofactor.due(request)
    if step is not None:
        page = "accounts:second-factor" if step == twofactor.VERIFY else "accounts:enrol"
        return HttpResponseRedirect(f"{resolve_url(page)}?{urlencode({'next': target})}")
    return HttpResponseRedirect(target)


def _next(request: HttpRequest) -> str:
    """Where to go after logging in: ``?next=`` when it is a page of this site, else the
    start page of the user's role."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = resolve_url(access.start_page(request.user))
    return target


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code of the authenticator app or a recovery code."""
    if twofactor.due(request) != twofactor.VERIFY:
        return HttpResponseRedirect(_next(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(request=request, code=form.cleaned_data["code"]):
            return HttpResponseRedirect(_next(request))
        form.add_error("code", _("This code is not correct. Try the code your app shows now."))
    return render(request, "accounts/second_factor.html", {"form": form})


def _qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: scan the QR code, give its first code, keep the ten
    recovery codes (shown once). Required for administrators, auditors and team leads."""
    if twofactor.due(request) == twofactor.VERIFY:
        return redirect("accounts:second-factor")
    if twofactor.is_enrolled(request.user):
        codes = None
        if request.method == "POST" and request.POST.get("action") == "renew":
            codes = twofactor.recovery_codes_renew(request=request)
        context: dict[str, Any] = {
            "codes": codes,
            "left": twofactor.recovery_left(request.user),
            "required": access.needs_second_factor(request.user),
            "turn_off": TurnOffForm(),
        }
        return render(request, "accounts/enrolled.html", context)
    device = twofactor.enrolment_device(request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.enrol_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        )
        if codes is not None:
            context = {"codes": codes, "next": _next(request), "left": len(codes)}
            return render(request, "accounts/enrolled.html", context)
        form.add_error("code", _("This code is not correct. Try the code your app shows now."))
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "form": form,
        "qr": _qr_svg(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "required": access.needs_second_factor(request.user),
        "issuer": settings.OTP_TOTP_ISSUER,
    }
    return render(request, "accounts/enrol.html", context)


@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """Turn off one's own two-step login (``twofactor.turn_off``): the form is on the page
    of ``enrol`` once it is on. A role that requires it gets a 403 that says so."""
    if twofactor.due(request) is not None:
        return redirect("accounts:enrol")
    form = TurnOffForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            twofactor.turn_off(
                request=request,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except twofactor.TurnOffRefused as refused:
            if refused.reason == twofactor.REQUIRED:
                form.add_error(
                    None,
                    _(
                        "Your role requires two-step login (administrators, auditors and team "
                        "leads): it cannot be turned off."
                    ),
                )
                status = 403
            elif refused.reason == twofactor.NOT_ON:
                return redirect("accounts:enrol")
            elif refused.reason == twofactor.WRONG_CODE:
                form.add_error(
                    "code", _("This code is not correct. Try the code your app shows now.")
                )
            else:
                form.add_error("password", _("This password is not correct."))
        else:
            messages.success(
                request,
                _("Two-step login is off: you log in with your password alone."),
            )
            return redirect("accounts:start")
    context: dict[str, Any] = {
        "codes": None,
        "left": twofactor.recovery_left(request.user),
        "required": access.needs_second_factor(request.user),
        "turn_off": form,
    }
    return render(request, "accounts/enrolled.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_event(
            action=Action.LOGOUT, actor=request.user, object_type="user", object_id=request.user.pk
        )
    logout(request)
    return redirect("accounts:login")


@login_required
def start(request: HttpRequest) -> HttpResponse:
    user_roles = access.roles(request.user)
    context = {
        "memberships": access.memberships(request.user),
        "roles": user_roles,
        "is_admin": "admin" in user_roles or "team_lead" in user_roles,
        "is_auditor": "auditor" in user_roles,
        "can_serve": access.can(request.user, "queue.serve"),
        "can_issue": access.can(request.user, "queue.issue"),
        "can_lead": access.can(request.user, "queue.lead"),
        "can_agenda": access.can(request.user, "appointments.view"),
        "can_mail": access.can(request.user, "mail.view"),
        "can_register_mail": access.can(request.user, "mail.register"),
        "can_mail_retention": access.can(request.user, "mail.retention"),
        "locations": Location.objects.all(),
        "second_factor": twofactor.is_enrolled(request.user),
    }
    return render(request, "accounts/start.html", context)
