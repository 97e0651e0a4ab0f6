"""Staff login, logout and the start page of each role."""

from __future__ import annotations

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from onthaal.accounts import access, services
from onthaal.accounts.forms import LoginForm
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
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
                message = _("The user name or password is not correct.")
            form.add_error(None, message)
        else:
            login(request, user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
                target = resolve_url(access.start_page(user))
            return HttpResponseRedirect(target)
    return render(request, "accounts/login.html", {"form": form}, status=status)


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
    }
    return render(request, "accounts/start.html", context)
