"""The citizen's booking journey (Dutch first, phone-first): product(s) → location, day and
time → name and one contact channel → confirmation; and the manage page behind the link in
the e-mail (cancel, move, calendar file)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import defaultdict
from typing import Any

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.api.errors import domain_error_body
from onthaal.appointments import api, followup, limits, notify, proof, services
from onthaal.appointments.models import Appointment, BookingChannel, Notification, Status
from onthaal.catalogue.models import Channel, Product
from onthaal.core import client, clock, params
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.core.numbers import natural
from onthaal.organisation.models import Location

DAYS = 14


def _field_errors(error: DomainError) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in error.fields.items()}


def start(request: HttpRequest) -> HttpResponse:
    products = (
        Product.objects.filter(active=True, channels__channel=Channel.APPOINTMENT)
        .select_related("department")
        .order_by("department__name", "name_nl")
        .distinct()
    )
    grouped: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        grouped[product.department.name].append(product)
    return render(request, "appointments/start.html", {"groups": dict(grouped)})


def _is_staff(request: HttpRequest) -> bool:
    """Reception and desk staff book for callers through the same pages, with the same rules;
    they may make an exception to lead time and horizon with a reason (audited)."""
    return access.can(request.user, "appointments.book")


def _booking(request: HttpRequest) -> tuple[services.Request | None, dict[str, Any]]:
    data = request.GET if request.method == "GET" else request.POST
    slugs = data.getlist("product")[: api.MAX_PRODUCTS]
    products = list(Product.objects.filter(slug__in=slugs).select_related("department"))
    persons_text = data.get("persons", "1")
    persons = natural(persons_text) or 0
    offered = Location.objects.filter(
        departments__in={p.department_id for p in products}
    ).distinct()
    location = offered.filter(slug=data.get("location", "")).first() or (
        offered.first() if offered.count() == 1 else None
    )
    context: dict[str, Any] = {
        "products": products,
        "persons": persons,
        "locations": offered,
        "location": location,
        "query": urlencode(
            [("product", p.slug) for p in products]
            + [("persons", str(persons)), ("location", location.slug if location else "")]
            + ([("exception", "1")] if data.get("exception") == "1" else [])
        ),
        "staff": _is_staff(request),
        "exception": data.get("exception") == "1" and _is_staff(request),
    }
    if not products or location is None:
        return None, context
    try:
        return services.build_request(
            location=location, products=products, persons=persons
        ), context
    except DomainError as error:
        context["errors"] = _field_errors(error)
        return None, context


def _by_department(products: list[Product], persons: int) -> list[tuple[Any, list[Product], str]]:
    """The chosen products per department, each with the query that books them alone."""
    grouped: dict[Any, list[Product]] = {}
    for product in products:
        grouped.setdefault(product.department, []).append(product)
    return [
        (
            department,
            chosen,
            urlencode([("product", p.slug) for p in chosen] + [("persons", str(persons or 1))]),
        )
        for department, chosen in grouped.items()
    ]


def choose(request: HttpRequest) -> HttpResponse:
    """Location, day and time on one page (each a plain link: works without JavaScript)."""
    booking, context = _booking(request)
    if not context["products"]:
        messages.error(request, _("Choose what you come for."))
        return redirect("appointments:start")
    split = _by_department(context["products"], context["persons"])
    if len(split) > 1:
        # One appointment is with one department: offer one booking per department instead
        # of two contradictory errors (no location offers both, and one department at a time).
        context.update({"split": split, "errors": {}, "locations": [], "location": None})
        context.update(_moving(request, context))
        return render(request, "appointments/choose.html", context)
    if booking is not None:
        today = clock.today()
        found = services.availability(
            booking, today, today + dt.timedelta(days=DAYS), override=context["exception"]
        )
        by_day: dict[dt.date, list[Any]] = defaultdict(list)
        for slot in found:
            by_day[slot.start.astimezone(clock.BRUSSELS).date()].append(slot)
        day = params.day(request.GET, "day")
        if day not in by_day:
            day = next(iter(by_day), None)
        context.update(
            {
                "days": [(d, len(s)) for d, s in by_day.items()],
                "day": day,
                "times": [s.start.astimezone(clock.BRUSSELS) for s in by_day.get(day, [])]
                if day
                else [],
                "duration": int(booking.duration.total_seconds() // 60),
            }
        )
    context.update(_moving(request, context))
    return render(request, "appointments/choose.html", context)


def _moving(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """While an appointment is being moved: where a chosen time is sent, and where "Back"
    leads — the citizen's manage page (with the token), or for staff without a token the
    appointment's staff page. Nothing is read here: the move itself checks the token or the
    staff member's access."""
    move = re.sub(r"[^A-Z0-9]", "", request.GET.get("move", "").upper())[:12]
    token = request.GET.get("token", "")[:100]
    if not move:
        return {"move": "", "back_url": reverse("appointments:start")}
    if token:
        manage = reverse("appointments:manage", args=[move]) + "?" + urlencode({"token": token})
        return {
            "move": move,
            "token": token,
            "move_url": reverse("appointments:move", args=[move]),
            "back_url": manage,
        }
    if context["staff"]:
        return {
            "move": move,
            "token": "",
            "move_url": reverse("appointments:staff-move", args=[move]),
            "back_url": reverse("appointments:staff-appointment", args=[move]),
        }
    return {"move": "", "back_url": reverse("appointments:start")}


def _render_details(
    request: HttpRequest, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The details form. A citizen's carries a fresh proof-of-work challenge that proof.js
    solves while the form is filled in, and then spends on holding the time (``hold``);
    staff are not asked for one, and a citizen whose time is held already needs none."""
    if not context["staff"] and not context.get("held"):
        context["proof_challenge"] = proof.challenge()
        context["proof_refresh_url"] = reverse("api-appointment-challenge")
        context["hold_url"] = reverse("appointments:hold")
    return render(request, "appointments/details.html", context, status=status)


def _start(data: Any) -> dt.datetime | None:
    """The chosen time (ISO 8601 with its offset), None when none is chosen; any other text
    is a 400 on the field (``core.params``)."""
    return params.instant(data, "start")


def _session_hold(request: HttpRequest, start_at: dt.datetime) -> dict[str, str]:
    """The hold this browser keeps for ``start_at`` (reference, token), or {}."""
    held = request.session.get("hold") or {}
    return held if held.get("start") == start_at.isoformat() else {}


@require_POST
def hold(request: HttpRequest) -> JsonResponse:
    """Keep the chosen time while the citizen fills in the form: proof.js asks for it once it
    has solved the form's proof of work, which the hold spends. A plain GET of the form holds
    nothing, so a script cannot block the agenda by reading pages; and one client holds at
    most ``ONTHAAL_HOLDS_PER_CLIENT`` times at once. One hold per browser session: a new one
    gives up the previous. JSON: 200 ``{"held": true, "until": ...}``, or the API's error
    shape (400 proof, 409 the time is gone, 429 too many holds)."""
    booking, _context = _booking(request)
    start_at = _start(request.POST)
    try:
        if booking is None or start_at is None:
            message = _("Choose a time from the list.")
            raise DomainError(message, fields={"start": [message]})
        proof.require(request.POST.get(proof.FIELD, ""))
        previous = request.session.get("hold") or {}
        if previous:
            services.release_hold(reference=previous["reference"], token=previous["token"])
            request.session.pop("hold", None)
        on_hold, hold_token = services.hold(
            request=booking,
            start=start_at,
            client=services.client_key(client.address(request)),
        )
    except DomainError as error:
        return JsonResponse(domain_error_body(error), status=error.status_code)
    request.session["hold"] = {
        "reference": on_hold.reference,
        "token": hold_token,
        "start": start_at.isoformat(),
    }
    assert on_hold.hold_expires_at is not None
    return JsonResponse(
        {
            "held": True,
            "until": on_hold.hold_expires_at.astimezone(clock.BRUSSELS).isoformat(),
        }
    )


def details(request: HttpRequest) -> HttpResponse:
    """The citizen's details. Showing the form writes nothing (see ``hold``); confirming it
    turns this browser's hold into the booking, or books at once with a proof of work when
    there is no hold (staff always book at once, for the caller on the line)."""
    booking, context = _booking(request)
    data = request.GET if request.method == "GET" else request.POST
    start_at = _start(data)
    if booking is None or start_at is None:
        messages.error(request, _("Choose a time from the list."))
        return redirect(reverse("appointments:choose") + "?" + context["query"])
    context["start"] = start_at
    context["form"] = {"name": "", "email": "", "phone": ""}
    context["survey"] = False
    held = {} if context["staff"] else _session_hold(request, start_at)
    context["held"] = bool(held)
    context["hold_minutes"] = services.policy_for(booking.department).hold_minutes
    if request.method == "POST":
        form = {k: data.get(k, "").strip() for k in ("name", "email", "phone")}
        context["form"] = form
        # One question about the visit by e-mail afterwards: only when ticked (``followup``).
        survey = data.get("survey") == "1"
        context["survey"] = survey
        staff = context["staff"]
        reason = data.get("reason", "").strip()[:200]
        channel = (
            data.get("channel", "")
            if staff and data.get("channel") in (BookingChannel.PHONE, BookingChannel.DESK)
            else BookingChannel.ONLINE
        )
        context.update({"reason": reason, "channel": channel})
        key = data.get("idempotency_key", "")[:64] or None
        try:
            if context["exception"] and not reason:
                raise DomainError(
                    _("Give the reason for the exception."),
                    fields={"reason": [_("Give the reason for the exception.")]},
                )
            if not staff:
                if not held:  # a hold was paid for with a proof already
                    proof.require(data.get(proof.FIELD, ""), idempotency_key=key)
                limits.check(ip=client.address(request), contact=form["email"] or form["phone"])
            try:
                if not held:
                    raise NotFound("no hold")
                appointment, token = services.confirm_hold(
                    reference=held["reference"],
                    token=held["token"],
                    idempotency_key=key,
                    survey_opt_in=survey,
                    **form,
                )
            except NotFound:  # no hold, or an expired one that another booking cleared
                request.session.pop("hold", None)
                context["held"] = False
                appointment, token = services.book(
                    request=booking,
                    start=start_at,
                    actor=request.user if staff else None,
                    channel=channel,
                    idempotency_key=key,
                    override_reason=reason if context["exception"] else "",
                    survey_opt_in=survey,
                    **form,
                )
        except Conflict as error:
            messages.error(request, error.message)
            return redirect(reverse("appointments:choose") + "?" + context["query"])
        except DomainError as error:
            context["errors"] = _field_errors(error)
            context["idempotency_key"] = data.get("idempotency_key", "")[:64]
            if not context["errors"]:
                messages.error(request, error.message)
            return _render_details(request, context, status=error.status_code)
        if token is None:  # a double-clicked submit: the first booking stands
            messages.info(request, _("This appointment was already booked."))
            return redirect("appointments:start")
        request.session.pop("hold", None)
        url = api.manage_url(request, appointment, token)
        notify.confirmation(appointment, url)
        if staff:  # the reference is read out to the caller from the appointment's page
            messages.success(request, _("The appointment is booked."))
            return redirect("appointments:staff-appointment", appointment.reference)
        request.session[f"booked-{appointment.reference}"] = token
        return redirect(reverse("appointments:done", args=[appointment.reference]))
    context["idempotency_key"] = secrets.token_urlsafe(16)
    return _render_details(request, context)


def _manage_context(request: HttpRequest, appointment: Appointment, token: str) -> dict[str, Any]:
    items = list(appointment.items.select_related("product"))
    documents = [
        line for i in items for line in i.product.required_documents.splitlines() if line.strip()
    ]
    return {
        "appointment": appointment,
        "items": items,
        "documents": documents,
        "token": token,
        "manage_url": api.manage_url(request, appointment, token),
        "qr": segno.make(appointment.reference, error="m").svg_inline(scale=5, omitsize=True),
        "active": appointment.status == Status.BOOKED,
        # The survey by e-mail after the visit can be asked for (or withdrawn) until the
        # invitation is queued; only with an e-mail address to send it to.
        "survey_choice": bool(appointment.email)
        and appointment.anonymised_at is None
        and appointment.status not in followup.NOT_ASKED
        and not appointment.notifications.filter(kind=Notification.Kind.SURVEY).exists(),
        "query": urlencode(
            [("product", i.product.slug) for i in items]
            + [
                ("persons", appointment.persons),
                ("location", appointment.location.slug),
                ("move", appointment.reference),
                ("token", token),
            ]
        ),
    }


def done(request: HttpRequest, reference: str) -> HttpResponse:
    token = request.session.get(f"booked-{reference}", "")
    try:
        appointment = services.by_token(reference, token)
    except NotFound:
        raise Http404 from None
    return render(request, "appointments/done.html", _manage_context(request, appointment, token))


def _by_token(request: HttpRequest, reference: str) -> tuple[Appointment, str]:
    token = (request.GET.get("token") or request.POST.get("token") or "")[:100]
    try:
        return services.by_token(reference, token), token
    except NotFound as error:
        raise Http404(error.message) from None


def manage(request: HttpRequest, reference: str) -> HttpResponse:
    appointment, token = _by_token(request, reference)
    return render(request, "appointments/manage.html", _manage_context(request, appointment, token))


def calendar_file(request: HttpRequest, reference: str) -> HttpResponse:
    appointment, _token = _by_token(request, reference)
    response = HttpResponse(
        notify.ics(appointment, cancelled=appointment.status == Status.CANCELLED),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="afspraak-{appointment.reference}.ics"'
    return response


def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """GET asks "do you want to cancel?" (the manage page's cancel is a plain link, never the
    main button); only the POST of that question cancels."""
    appointment, token = _by_token(request, reference)
    if request.method != "POST":
        context = _manage_context(request, appointment, token)
        context["cancel_url"] = reverse("appointments:cancel", args=[reference])
        context["back_url"] = context["manage_url"]
        return render(request, "appointments/cancel.html", context)
    try:
        appointment = services.cancel(appointment=appointment)
        notify.cancellation(appointment)
        messages.success(request, _("Your appointment is cancelled."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("appointments:manage", args=[reference]) + f"?token={token}")


@require_POST
def survey(request: HttpRequest, reference: str) -> HttpResponse:
    """The manage page's choice: one question about the visit by e-mail after it, or not
    (``followup.set_survey_opt_in``, an audit event)."""
    appointment, token = _by_token(request, reference)
    agreed = request.POST.get("survey") == "1"
    try:
        followup.set_survey_opt_in(appointment=appointment, agreed=agreed)
        messages.success(
            request,
            _("After your visit we will send you one question by e-mail.")
            if agreed
            else _("We will not send you a question after your visit."),
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("appointments:manage", args=[reference]) + f"?token={token}")


@require_POST
def move(request: HttpRequest, reference: str) -> HttpResponse:
    appointment, token = _by_token(request, reference)
    try:
        start_at = params.instant(request.POST, "start")
        if start_at is None:
            raise ValueError("no time chosen")
        sequence = appointment.sequence
        moved = services.reschedule(appointment=appointment, start=start_at)
        if moved.sequence != sequence:  # not a second click on the same time
            notify.change(moved, api.manage_url(request, moved, token))
        messages.success(request, _("Your appointment has moved."))
        return redirect(reverse("appointments:manage", args=[moved.reference]) + f"?token={token}")
    except ValueError:
        messages.error(request, _("Choose a time from the list."))
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(reverse("appointments:manage", args=[reference]) + f"?token={token}")
