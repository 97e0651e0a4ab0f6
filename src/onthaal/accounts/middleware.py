"""The second step of a staff login (``accounts.services.twofactor``): until it is done, a
signed-in user reaches only that step and the logout — not a staff page, the admin or the
API with their session. API tokens are not sessions and are not asked for it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from onthaal.accounts.services import twofactor

PAGES = {twofactor.VERIFY: "accounts:second-factor", twofactor.ENROL: "accounts:enrol"}


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = twofactor.due(request)
        if step is None:
            return self.get_response(request)
        page = reverse(PAGES[step])
        open_paths = {page, reverse("accounts:logout"), reverse("accounts:login")}
        if request.path in open_paths or request.path.startswith("/static/"):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "message": _("Finish logging in with the code of your authenticator app."),
                    "fields": {},
                },
                status=403,
            )
        return HttpResponseRedirect(f"{page}?{urlencode({'next': request.get_full_path()})}")
