"""The dashboard (``/staff/reports/``) and the what-if calculator, for managers and team leads.

Every view of a report is recorded in the audit log (the figures are anonymous, but who looked
at what is still worth knowing); a refused one too (``access.require``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import client, clock
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.organisation.models import Location
from onthaal.reporting import erlang, exports, report, selectors, services, survey, yearly
from onthaal.reporting.forms import PhoneContactForm, ReportFilter, WhatIfForm, default_period


def _require(request: HttpRequest, what: str) -> list[Any]:
    departments = selectors.allowed_departments(request.user)
    if not departments:
        access.require(request.user, "reporting.view", object_type=what)
    return departments


def _scope(
    request: HttpRequest, form: ReportFilter
) -> tuple[selectors.Scope, selectors.Scope | None]:
    data = form.cleaned_data if form.is_valid() else {}
    if not data:
        start, end = default_period()
        return selectors.scope_for(request.user, start=start, end=end), None
    scope = selectors.scope_for(
        request.user,
        start=data["start"],
        end=data["end"],
        department=data.get("department"),
        location_id=data["location"].pk if data.get("location") else None,
        product_id=data["product"].pk if data.get("product") else None,
        channel=data.get("channel") or None,
    )
    compare = None
    if data.get("compare_start") and data.get("compare_end"):
        compare = scope.shifted(data["compare_start"], data["compare_end"])
    return scope, compare


def _filters(scope: selectors.Scope, compare: selectors.Scope | None) -> dict[str, Any]:
    details: dict[str, Any] = {
        "from": scope.start.isoformat(),
        "to": scope.end.isoformat(),
        "departments": list(scope.department_ids),
    }
    for name in ("location_id", "product_id", "channel"):
        if getattr(scope, name):
            details[name] = getattr(scope, name)
    if compare is not None:
        details["compare"] = [compare.start.isoformat(), compare.end.isoformat()]
    return details


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    departments = _require(request, "reporting.dashboard")
    form = ReportFilter(request.GET or None, departments=departments)
    scope, compare = _scope(request, form)
    if not form.is_bound:
        form = ReportFilter(
            initial={"start": scope.start, "end": scope.end}, departments=departments
        )
    built = report.build(scope)
    record_event(
        action=Action.VIEW,
        actor=request.user,
        object_type="reporting.dashboard",
        details=_filters(scope, compare),
    )
    context = {
        "form": form,
        "report": built,
        "scope": scope,
        "compare": compare,
        "comparison": report.comparison(scope, compare) if compare else None,
        "print_view": request.GET.get("print") == "1",
        "query": request.GET.urlencode(),
    }
    return render(request, "reporting/dashboard.html", context)


@login_required
def balance(request: HttpRequest) -> HttpResponse:
    """The staff planning's balance figures per department (``staffing.balance``) within the
    dashboard's scope: its departments (and location), the week of the period's end (this week
    at the latest). A page of its own, linked from the dashboard: each location costs a
    coverage board, which the dashboard's own request should not wait for. An audit event."""
    departments = _require(request, "reporting.balance")
    form = ReportFilter(request.GET or None, departments=departments)
    scope, compare = _scope(request, form)
    week = report.balance_week(scope)
    rows = report.department_balance(scope, week)
    record_event(
        action=Action.VIEW,
        actor=request.user,
        object_type="reporting.balance",
        details={**_filters(scope, compare), "week": week.isoformat()},
    )
    context = {
        "rows": rows,
        "week": week,
        "scope": scope,
        "query": request.GET.urlencode(),
    }
    return render(request, "reporting/balance.html", context)


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The dashboard's tables as a download: XLSX (a sheet per table, and the visits per day)
    or CSV (the visits per day). An audit event."""
    departments = _require(request, "reporting.export")
    form = ReportFilter(request.GET or None, departments=departments)
    scope, compare = _scope(request, form)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    rows = exports.visit_rows(scope, "day")
    record_event(
        action=Action.EXPORT,
        actor=request.user,
        object_type="reporting.dashboard",
        details={**_filters(scope, compare), "format": fmt, "rows": len(rows)},
    )
    name = f"cijfers-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
    else:
        built = report.build(scope, with_advice=False)
        title = report.describe_scope(scope)
        response = HttpResponse(
            exports.as_xlsx(rows, built.figures, title), content_type=exports.XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def phone_contact(request: HttpRequest, slug: str) -> HttpResponse:
    """Reception registers a phone call at ``slug``'s location: a fact with channel phone
    (``services.contact_register``), nothing about the caller. Bad input gives the form again
    with a message per field (400)."""
    location = get_object_or_404(Location, slug=slug)
    departments = (
        access.departments_with(request.user, "queue.issue")
        .filter(locations=location)
        .order_by("name")
    )
    if not departments.exists():
        access.require(request.user, "queue.issue", object_type="reporting.contact")
        # A user with the capability, but for no department at this location.
        raise NotFound(_("No department of yours receives visitors here."))
    form = PhoneContactForm(request.POST or None, departments=departments)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.contact_register(
                actor=request.user,
                location=location,
                department=form.cleaned_data["department"],
                product=form.cleaned_data.get("product"),
                minutes=form.cleaned_data.get("minutes"),
            )
            messages.success(request, _("Phone call registered."))
            return redirect("contacts:phone", slug=location.slug)
        status = 400
    context = {"form": form, "location": location}
    return render(request, "reporting/phone_contact.html", context, status=status)


@login_required
def what_if(request: HttpRequest) -> HttpResponse:
    """Change the visitors, service time, desks or hours and see the wait and service level."""
    _require(request, "reporting.what_if")
    form = WhatIfForm(request.GET or None)
    result = None
    if form.is_valid():
        data = form.cleaned_data
        demand = erlang.Demand(data["arrivals_per_hour"], data["service_minutes"])
        target = erlang.Target(data["target_minutes"] * 60, data["target_percent"] / 100)
        try:
            needed = erlang.desks_needed(demand, target)
        except ValueError:
            form.add_error(
                "arrivals_per_hour",
                _("More than %(n)d desks would be needed.") % {"n": erlang.MAX_DESKS},
            )
        else:
            desks = data.get("desks") or needed.desks
            low = max(1, min(desks, needed.desks) - 1)
            options = [
                erlang.performance(demand, n, target.wait_seconds)
                for n in range(low, max(desks, needed.desks) + 3)
            ]
            result = {
                "demand": demand,
                "needed": needed,
                "chosen": erlang.performance(demand, desks, target.wait_seconds),
                "options": options,
                "target": target,
            }
    return render(request, "reporting/what_if.html", {"form": form, "result": result})


@login_required
def year(request: HttpRequest, year: int) -> HttpResponse:
    """The yearly report as PDF (WeasyPrint): figures per channel and product, the trend against
    the year before, and the advice. Without WeasyPrint's system libraries (Pango) the same
    report is served as a printable page, saying so."""
    _require(request, "reporting.year")
    if not 2000 <= year <= clock.today().year:
        raise NotFound(_("There is no report for this year."))
    pdf, html = yearly.render(request, year)
    record_event(
        action=Action.EXPORT,
        actor=request.user,
        object_type="reporting.year",
        object_id=str(year),
        details={"format": "pdf" if pdf is not None else "html"},
    )
    if pdf is None:
        return HttpResponse(html)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="jaarverslag-{year}.pdf"'
    return response


def survey_context(offer: survey.Offer | None) -> dict[str, Any]:
    """What ``reporting/_survey_form.html`` needs (also on the ticket's page)."""
    faces = ("\U0001f61e", "\U0001f641", "\U0001f610", "\U0001f642", "\U0001f600")
    labels = (_("Very bad"), _("Bad"), _("Okay"), _("Good"), _("Very good"))
    return {
        "survey": offer,
        "survey_choices": list(zip(survey.SCORES, faces, labels, strict=True)),
        "survey_max": survey.COMMENT_MAX,
        "survey_form": {"score": None, "comment": ""},
    }


def survey_view(request: HttpRequest, token: str) -> HttpResponse:
    """The satisfaction survey of one visit (public; the token is the key): the form, and the
    answer. Bad input gives the form again with a message per field (400); a second answer
    409; too many answers from one address 429; a bad or expired link 404."""
    visit = survey.visit_for(token)
    offer = survey.Offer(token, survey.answered(visit))
    context = survey_context(offer)
    status = 200
    if request.method == "POST" and offer.answered:
        status = 409
    elif request.method == "POST":
        form = {"score": request.POST.get("score", ""), "comment": request.POST.get("comment", "")}
        try:
            survey.survey_answer(
                token=token,
                score=form["score"],
                comment=form["comment"],
                address=client.address(request),
            )
        except Conflict:
            context["survey"] = survey.Offer(token, answered=True)
            status = 409
        except DomainError as error:
            if not error.fields:
                raise
            context["survey_errors"] = error.fields
            context["survey_form"] = {**form, "score": _int_or_none(form["score"])}
            status = error.status_code
        else:
            context["survey_done"] = True
    return render(request, "reporting/survey.html", context, status=status)


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None
