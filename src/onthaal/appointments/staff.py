"""Staff pages of appointments: the agenda of a day per desk, search by reference or name,
and one appointment's page, from which reception moves or cancels it for a caller.

They show personal data, so each is a consultation written to the audit log; a department's
appointments are visible only to members of departments the user may see (confidential ones
only to their own members, see ``accounts.access``). Moving and cancelling go through the
same services as the citizen's link (same capacity, same invariants), with the staff member
as the actor of the audit event; they need ``appointments.book`` in the appointment's
department."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.appointments import api, notify, services
from onthaal.appointments.models import Appointment, Notification, Status
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock, params
from onthaal.core.errors import AccessDenied, DomainError, InvalidInput
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
            "can_book": access.can(request.user, "appointments.book"),
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


def _appointment(request: HttpRequest, reference: str, capability: str) -> Appointment:
    """The appointment with ``reference`` when the user has ``capability`` in its department.
    Otherwise 404, as for an unknown reference (nothing tells that it exists), after the
    refusal is audited."""
    found = (
        Appointment.objects.select_related("location", "department", "desk", "created_by")
        .filter(reference=reference.upper()[:12])
        .exclude(status=Status.HELD)
        .first()
    )
    if found is None:
        raise Http404
    try:
        access.require(
            request.user,
            capability,
            found.department,
            object_type="appointments.appointment",
            object_id=str(found.pk),
        )
    except AccessDenied:
        raise Http404 from None
    return found


@login_required
def appointment(request: HttpRequest, reference: str) -> HttpResponse:
    """One appointment for staff: when, where, for what, who and how to reach them (an
    audited consultation), with "move" and "cancel" for a caller."""
    found = _appointment(request, reference, "appointments.view")
    record_event(
        action=Action.VIEW,
        actor=request.user,
        object_type="appointments.appointment",
        object_id=found.pk,
        department=found.department,
        details={"reference": found.reference},
    )
    items = list(found.items.select_related("product"))
    can_change = found.status == Status.BOOKED and access.can(
        request.user, "appointments.book", found.department
    )
    move_query = urlencode(
        [("product", i.product.slug) for i in items]
        + [
            ("persons", found.persons),
            ("location", found.location.slug),
            ("move", found.reference),
        ]
    )
    return render(
        request,
        "appointments/staff_appointment.html",
        {
            "appointment": found,
            "items": items,
            # What to bring, to read out to a caller with no e-mail address or phone.
            "documents": [
                line
                for i in items
                for line in i.product.required_documents.splitlines()
                if line.strip()
            ],
            "active": found.status == Status.BOOKED,
            "can_change": can_change,
            "move_url": reverse("appointments:choose") + "?" + move_query,
        },
    )


@login_required
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """Cancel for a caller: GET asks to confirm, POST cancels (audited with the staff member
    as actor) and tells the citizen by their contact channel, if they gave one."""
    found = _appointment(request, reference, "appointments.book")
    back = reverse("appointments:staff-appointment", args=[found.reference])
    if request.method != "POST":
        return render(
            request,
            "appointments/cancel.html",
            {
                "appointment": found,
                "items": list(found.items.select_related("product")),
                "active": found.status == Status.BOOKED,
                "cancel_url": reverse("appointments:staff-cancel", args=[found.reference]),
                "back_url": back,
                "staff": True,
            },
        )
    try:
        cancelled = services.cancel(appointment=found, actor=request.user)
        notify.cancellation(cancelled)
        django_messages.success(request, _("The appointment is cancelled."))
    except DomainError as error:
        django_messages.error(request, error.message)
    return redirect(back)


@login_required
@require_POST
def move(request: HttpRequest, reference: str) -> HttpResponse:
    """Move for a caller to a time chosen on the choose page: the same reference, the same
    manage link; the citizen gets the new time with the link, if they gave a contact."""
    found = _appointment(request, reference, "appointments.book")
    back = reverse("appointments:staff-appointment", args=[found.reference])
    try:
        start_at = params.instant(request.POST, "start")
        if start_at is None:
            raise ValueError("no time chosen")
    except (ValueError, InvalidInput):
        django_messages.error(request, _("Choose a time from the list."))
        return redirect(back)
    try:
        sequence = found.sequence
        moved = services.reschedule(appointment=found, start=start_at, actor=request.user)
    except DomainError as error:
        django_messages.error(request, error.message)
        return redirect(back)
    if moved.sequence != sequence:
        token = services.token_of(moved)
        notify.change(moved, api.manage_url(request, moved, token) if token else "")
    django_messages.success(request, _("The appointment has moved."))
    return redirect(back)
