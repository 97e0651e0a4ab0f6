"""The auditor's page: search events by object, actor and period (itself an audited read)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from onthaal.audit import selectors
from onthaal.audit.forms import AuditSearchForm
from onthaal.core.errors import AccessDenied


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    events = None
    try:
        if form.is_valid():
            events = selectors.search_events(actor=request.user, **form.cleaned_data)
        elif not request.GET:
            events = selectors.search_events(actor=request.user)
    except AccessDenied as refused:
        raise PermissionDenied(refused.message) from refused
    page = Paginator(events, 50).get_page(request.GET.get("page")) if events is not None else None
    return render(request, "audit/search.html", {"form": form, "page": page})
