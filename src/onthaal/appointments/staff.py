"""Staff pages of appointments: the agenda of a day per desk, and search by reference or name.

Both show personal data, so both are consultations written to the audit log; a department's
appointments are visible only to members of departments the user may see (confidential ones
only to their own members, see ``accounts.access``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.appointments import notify
from onthaal.appointments.models import Appointment, Notification
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock, params
from onthaal.organisation.models import Location


@login_required
def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    departments = access.departments_with(request.user, "appointments.view")
    if not departments.exists():
        access.require(request.user, "appointments.view", object_type="appointments.agenda")
    day = params.day(request.GET, "day") or clock.today()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=clock.BRUSSELS)
    visible = Appointment.objects.filter(location=location, department__in=departments)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        found = list(
            visible.filter(Q(reference=query.upper()) | Q(name__icontains=query))
            .select_related("desk", "department")
            .prefetch_related("items__product")
            .order_by("-start")[:50]
        )
        record_event(
            action=Action.SEARCH,
            actor=request.user,
            object_type="appointments.appointment",
            object_id=",".join(a.reference for a in found)[:200],
            details={"query_length": len(query), "hits": len(found)},
        )
        rows: dict[Any, list[Appointment]] = {"": found} if found else {}
    else:
        todays = list(
            visible.filter(start__gte=start, start__lt=start + dt.timedelta(days=1))
            .select_related("desk", "department")
            .prefetch_related("items__product")
            .order_by("desk__name", "start")
        )
        rows = defaultdict(list)
        for appointment in todays:
            rows[appointment.desk].append(appointment)
        record_event(
            action=Action.VIEW,
            actor=request.user,
            object_type="appointments.agenda",
            object_id=f"{location.slug}:{day.isoformat()}",
            details={"appointments": len(todays)},
        )
    return render(
        request,
        "appointments/agenda.html",
        {
            "location": location,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "rows": dict(rows),
            "query": query,
        },
    )


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """The messages to citizens of the user's departments, with their status; resend one."""
    departments = access.departments_with(request.user, "appointments.view")
    if not departments.exists():
        access.require(request.user, "appointments.view", object_type="appointments.outbox")
    # Messages about an appointment or a ticket ("your turn is coming") of those departments.
    messages_ = Notification.objects.filter(
        Q(appointment__department__in=departments) | Q(ticket__queue__department__in=departments)
    )
    if request.method == "POST":
        found = messages_.filter(pk=params.pk(request.POST, "message") or 0).first()
        if found is not None and not found.recipient:
            django_messages.error(request, _("This message can no longer be sent."))
        elif found is not None:
            notify.resend(found)
            record_event(
                action=Action.UPDATE,
                actor=request.user,
                object_type="appointments.notification",
                object_id=found.pk,
                details={"resend": True},
            )
            django_messages.success(request, _("The message will be sent again."))
        return redirect("appointments:outbox")
    recent = list(
        messages_.select_related("appointment__department", "ticket__queue__department").order_by(
            "-created_at"
        )[:100]
    )
    record_event(
        action=Action.VIEW,
        actor=request.user,
        object_type="appointments.outbox",
        details={"messages": len(recent)},
    )
    return render(request, "appointments/outbox.html", {"notifications": recent})
