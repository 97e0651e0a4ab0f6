"""The auditor's page: the audit log as a register — who, in a sentence what, the raw fields
behind a disclosure — searched by object, actor, action and period, and exported as CSV. Each
search and each export is itself an audited read."""

from __future__ import annotations

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from onthaal.audit import register, selectors
from onthaal.audit.forms import AuditSearchForm
from onthaal.core import clock
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
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/search.html",
        {
            "form": form,
            "page": page,
            "lines": register.lines(page.object_list) if page is not None else [],
            "query": query.urlencode(),
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The search's events as CSV (at most ``selectors.MAX_EXPORT``), with the register's
    sentence beside the raw fields."""
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            json.dumps(form.errors.get_json_data()), status=400, content_type="application/json"
        )
    try:
        events = selectors.export_events(actor=request.user, **form.cleaned_data)
    except AccessDenied as refused:
        raise PermissionDenied(refused.message) from refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = clock.now().astimezone(clock.BRUSSELS).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "#",
            _("Time"),
            _("Who"),
            _("Role"),
            _("Action"),
            _("What happened"),
            _("Object type"),
            _("Object id"),
            _("Details"),
        ]
    )
    for line in register.lines(events):
        row = register.csv_row(line)
        row[-1] = json.dumps(row[-1], ensure_ascii=False, sort_keys=True)
        writer.writerow(row)
    return response
