"""Pages of customer guidance: kiosk, ticket status, waiting-room screen, desk, reception, lead.

Staff pages ask ``onthaal.accounts.access``; the kiosk runs on a registered device
(``onthaal.devices``), in no one's session. The ticket status page and the screen are public:
they show numbers only.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.audit.services import record_refusal
from onthaal.catalogue.models import Product
from onthaal.core import clock, params
from onthaal.core.errors import AccessDenied, Conflict, DomainError, NotFound
from onthaal.devices.models import Device
from onthaal.devices.selectors import request_device
from onthaal.organisation.models import Desk, Location
from onthaal.queue import alerts, live, selectors, services, snapshots
from onthaal.queue.models import Announcement, DeskSession, Queue, Source, Status, Ticket


def _fail(request: HttpRequest, error: DomainError) -> None:
    if isinstance(error, AccessDenied):
        raise PermissionDenied(error.message)
    details = [m for msgs in error.fields.values() for m in msgs if m != error.message]
    messages.error(request, " ".join([error.message, *details]))


# --- kiosk and ticket ----------------------------------------------------------------------


# The kiosk runs on a registered device (onthaal.devices), never in a staff session: its
# pages have no staff links, its tickets are audited with the device as actor, and it works
# only at its own location. It returns to its start page after this many idle seconds.
KIOSK_IDLE_SECONDS = 20
SUBMISSION_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def _kiosk_device(request: HttpRequest, location: Location) -> Device | HttpResponse:
    """The kiosk (or ticket printer) of ``location`` asking, or the refusal page (403): a
    browser that is no device, a device of another kind or of another location. A staff
    session in the same browser counts for nothing here. The refusal is audited."""
    device = request_device(request)
    if device is not None and device.issues_tickets and device.location_id == location.pk:
        return device
    if device is None:
        reason = "not_registered"
        heading = _("This device is not registered")
        explanation = _("This browser is not registered as a kiosk.")
    elif not device.issues_tickets:
        reason = "not_a_kiosk"
        heading = _("This device is not a kiosk")
        explanation = _("This device is registered, but not as a kiosk or ticket printer.")
    else:
        reason = "other_location"
        heading = _("This kiosk belongs to another location")
        explanation = _("This kiosk is registered for %(location)s.") % {
            "location": device.location.name
        }
    record_refusal(
        actor=device.actor if device is not None else "anonymous",
        capability="devices.kiosk",
        object_type="organisation.location",
        object_id=location.pk,
        details={"reason": reason},
    )
    context = {"heading": heading, "explanation": explanation}
    return render(request, "devices/refused.html", context, status=403)


def _kiosk_context(location: Location) -> dict[str, Any]:
    return {
        "location": location,
        "kiosk_home": reverse("queue:kiosk", args=[location.slug]),
        "kiosk_idle": KIOSK_IDLE_SECONDS,
        "kiosk_sw": reverse("queue:kiosk-sw"),
    }


@functools.cache
def _kiosk_worker_script() -> bytes:
    found = finders.find("onthaal/kiosk-sw.js")
    assert isinstance(found, str), "static/onthaal/kiosk-sw.js is part of the app"
    return Path(found).read_bytes()


def kiosk_service_worker(request: HttpRequest) -> HttpResponse:
    """The kiosk's service worker (``static/onthaal/kiosk-sw.js``), served at
    ``/kiosk/service-worker.js`` so that its scope is the kiosk's pages (``/kiosk/``): a
    worker's scope is at most the folder of its own address. Public: it holds no data."""
    response = HttpResponse(_kiosk_worker_script(), content_type="text/javascript")
    response["Cache-Control"] = "no-cache"  # a new version is picked up at once
    return response


def _submission_key(request: HttpRequest) -> str:
    key = request.POST.get("submission", "")
    return key if SUBMISSION_KEY.match(key) else ""


def _wants_json(request: HttpRequest) -> bool:
    """The kiosk's script sends its forms itself (to retry them when the network is gone)
    and asks for a short JSON answer; without the script, forms post and redirect."""
    return request.headers.get("Accept") == "application/json"


def _kiosk_issued(request: HttpRequest, location: Location, ticket: Ticket) -> HttpResponse:
    url = reverse("queue:kiosk-ticket", args=[location.slug, ticket.public_id])
    if _wants_json(request):
        return JsonResponse({"redirect": url})
    return redirect(url)


def _kiosk_error(request: HttpRequest, location: Location, error: DomainError) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": error.message}, status=error.status_code)
    messages.error(request, error.message)
    return redirect("queue:kiosk", slug=location.slug)


def _kiosk_queues(location: Location) -> list[Queue]:
    return list(
        Queue.objects.filter(location=location, active=True)
        .select_related("department")
        .prefetch_related("products", "desks")
    )


def _quick_queue(queues: list[Queue]) -> Queue | None:
    """The quick-counter queue (snelbalie) among the kiosk's queues (``selectors.quick_queue``)."""
    return next((q for q in queues if selectors.is_quick_counter(q)), None)


def _kiosk_route(queues: list[Queue], queue: Queue, product: Product | None) -> tuple[Queue, str]:
    """Where a kiosk ticket goes, and its source: a product the quick counter serves goes to
    the quick-counter queue, whichever queue it was touched under; a ticket of the
    quick-counter queue has the source ``quick_counter`` (the figures count it apart)."""
    quick = _quick_queue(queues)
    if quick is None:
        return queue, Source.KIOSK
    if product is not None and any(p.pk == product.pk for p in quick.products.all()):
        queue = quick
    return queue, Source.QUICK_COUNTER if queue.pk == quick.pk else Source.KIOSK


def _has_quick_counter(location: Location) -> bool:
    """Whether the kiosk offers picking up an e-loket request (``eloket.pickup``)."""
    from onthaal.eloket import pickup

    return pickup.quick_queue(location) is not None


def kiosk(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    device = _kiosk_device(request, location)
    if isinstance(device, HttpResponse):
        return device
    if request.method == "GET":  # what the kiosk offers, from the cache (``snapshots``)
        queues = snapshots.read(location.pk, "kiosk-queues", lambda: _kiosk_queues(location))
    else:
        queues = _kiosk_queues(location)
    if request.method == "POST":
        key = _submission_key(request)
        try:
            if request.POST.get("action") == "checkin":
                from onthaal.appointments import services as appointments

                # The same check-in again (its answer was lost): its ticket. A walk-in
                # ticket needs no such look-up: ``issue_ticket`` answers a repeat itself.
                issued = services.submitted_ticket(location, key)
                if issued is not None:
                    return _kiosk_issued(request, location, issued)
                appointment = appointments.check_in(
                    reference=request.POST.get("reference", ""),
                    location=location,
                    actor=device.actor,
                    submission_key=key,
                )
                assert appointment.ticket is not None
                return _kiosk_issued(request, location, appointment.ticket)
            if request.POST.get("action") == "pickup":
                from onthaal.eloket import pickup

                # Picking up an e-loket request at the quick counter, by its reference.
                issued = services.submitted_ticket(location, key)
                if issued is not None:
                    return _kiosk_issued(request, location, issued)
                ticket = pickup.issue_pickup_ticket(
                    reference=request.POST.get("reference", "")[:40],
                    location=location,
                    actor=device.actor,
                    submission_key=key,
                )
                return _kiosk_issued(request, location, ticket)
            queue_id, product_id = (
                params.pk(request.POST, "queue"),
                params.pk(request.POST, "product"),
            )
            queue = next((q for q in queues if q.pk == queue_id), None)
            product = Product.objects.filter(pk=product_id or 0).first()
            if queue is None:
                message = _("Choose what you come for.")
                raise DomainError(message, fields={"queue": [message]})
            queue, source = _kiosk_route(queues, queue, product)
            ticket = services.issue_ticket(
                location=location,
                queue=queue,
                products=[product] if product is not None else [],
                source=source,
                actor=device.actor,
                submission_key=key,
            )
        except DomainError as error:
            return _kiosk_error(request, location, error)
        return _kiosk_issued(request, location, ticket)
    hours = services.walk_in_hours(location)
    walk_in = {q.pk: services.walk_in_status(location, q, hours) for q in queues}
    # What the quick counter serves is offered there only: each product once on the kiosk.
    quick = _quick_queue(queues)
    at_quick = {p.pk for p in quick.products.all()} if quick is not None else set()
    choices = [
        {
            "queue": q,
            "open": walk_in[q.pk][0],
            "opens": walk_in[q.pk][1],
            "products": [
                p for p in q.products.all() if p.active and (q is quick or p.pk not in at_quick)
            ],
            # Each form's key of its submission: a form sent again issues no second ticket.
            "submission": uuid.uuid4().hex,
        }
        for q in queues
        if not q.department.confidential or walk_in[q.pk][0]
    ]
    context = {**_kiosk_context(location), "choices": choices}
    context["checkin_submission"] = uuid.uuid4().hex
    context["pickup_submission"] = uuid.uuid4().hex
    context["pickup"] = snapshots.read(
        location.pk, "kiosk-pickup", lambda: _has_quick_counter(location)
    )
    response = render(request, "queue/kiosk.html", context)
    response["Cache-Control"] = "no-store"  # a reload gets fresh keys, never a stored page
    return response


def kiosk_ticket(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """The ticket just issued, on the kiosk: printed at once, then back to the start page."""
    location = get_object_or_404(Location, slug=slug)
    device = _kiosk_device(request, location)
    if isinstance(device, HttpResponse):
        return device
    ticket = get_object_or_404(
        Ticket.objects.select_related("queue", "location"), public_id=public_id, location=location
    )
    url = request.build_absolute_uri(reverse("queue:ticket", args=[ticket.public_id]))
    context = {
        **_kiosk_context(location),
        "ticket": ticket,
        "status": selectors.ticket_status(ticket),
        "qr": _qr_svg(url),
    }
    return render(request, "queue/kiosk_ticket.html", context)


CLOSED_TEXT = {
    Status.DONE: gettext_lazy("You have been served. Thank you for your visit."),
    Status.NO_SHOW: gettext_lazy(
        "You were called but did not come to the desk. Ask at the reception if you still need help."
    ),
    Status.CANCELLED: gettext_lazy(
        "This ticket was cancelled. Ask at the reception if you still need help."
    ),
}


def _ticket_labels() -> dict[str, str]:
    """What the status page's script says, in the page's language."""
    return {
        "next": _("You are next."),
        "ahead": _("People before you: %(ahead)s."),
        "wait": _("Expected wait: about %(minutes)s min."),
        "no_desk": _("No desk is open at this moment."),
        "turn": _("It is your turn: go to %(desk)s."),
        **{str(status): str(text) for status, text in CLOSED_TEXT.items()},
        "closed": _("This ticket is closed. Thank you for your visit."),
    }


def _qr_svg(data: str) -> str:
    return segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff", omitsize=True)


def ticket_page(request: HttpRequest, public_id: str) -> HttpResponse:
    """The status of a ticket, and the form "warn me when it is almost my turn" (a plain POST
    that redirects back; on bad input the page again with field errors). The stored contact
    is never shown here."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("queue", "queue__department", "location", "desk"),
        public_id=public_id,
    )
    errors: dict[str, list[str]] = {}
    error_status = 200
    form = {"email": "", "phone": ""}
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        try:
            alerts.register(
                ticket=ticket,
                email=form["email"],
                phone=form["phone"],
                language=getattr(request, "LANGUAGE_CODE", ""),
            )
        except Conflict as error:  # the ticket moved on meanwhile: show where it stands
            messages.error(request, error.message)
            return redirect("queue:ticket", public_id=ticket.public_id)
        except DomainError as error:
            errors = error.fields
            error_status = error.status_code
        else:
            return redirect(reverse("queue:ticket", args=[ticket.public_id]) + "#turn-alert")
    status = selectors.ticket_status(ticket)
    url = request.build_absolute_uri(reverse("queue:ticket", args=[ticket.public_id]))
    context = {
        "ticket": ticket,
        "status": status,
        "qr": _qr_svg(url),
        "print": request.GET.get("print") == "1",
        "done": ticket.status not in (Status.WAITING, Status.CALLED, Status.SERVING),
        # The contact is set once (alerts.register): no form once it is.
        "alert_form": ticket.status == Status.WAITING
        and ticket.alert_sent_at is None
        and not ticket.wants_alert,
        "alert_on": ticket.wants_alert
        and ticket.status == Status.WAITING
        and ticket.alert_sent_at is None,
        "alert_sent": ticket.alert_sent_at is not None and ticket.status == Status.WAITING,
        "alert_ahead": settings.ONTHAAL_TURN_ALERT_AHEAD,
        # Without JavaScript the page refreshes itself, which would wipe a form being filled in.
        "typing": bool(errors) or request.GET.get("alert") == "1",
        "closed_text": CLOSED_TEXT.get(Status(ticket.status), ""),
        "labels": _ticket_labels(),
        "errors": errors,
        "form": form,
    }
    return render(request, "queue/ticket.html", context, status=error_status)


def ticket_json(request: HttpRequest, public_id: str) -> JsonResponse:
    ticket = get_object_or_404(Ticket.objects.select_related("desk"), public_id=public_id)
    return JsonResponse(selectors.ticket_public_state(ticket))


async def ticket_events(request: HttpRequest, public_id: str) -> HttpResponseBase:
    """Server-Sent Events of one ticket (see ``onthaal.queue.live.open_ticket_stream``)."""
    status, error, stream = await live.open_ticket_stream(public_id)
    if stream is None:
        return JsonResponse(error, status=status)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# --- screen --------------------------------------------------------------------------------


def _screen_refused(request: HttpRequest, location: Location) -> HttpResponse | None:
    """A registered device (a waiting-room screen) shows its own location's screen only: the
    refusal page (403, audited) for another location's. The page itself stays public — it
    shows numbers only, as the public ``display`` API does — so a browser that is no device
    opens any location's screen; the binding keeps an enrolled screen from showing the calls
    of another building."""
    device = request_device(request)
    if device is None or device.location_id == location.pk:
        return None
    record_refusal(
        actor=device.actor,
        capability="devices.screen",
        object_type="organisation.location",
        object_id=location.pk,
        details={"reason": "other_location"},
    )
    context = {
        "heading": _("This screen belongs to another location"),
        "explanation": _("This device is registered for %(location)s.")
        % {"location": device.location.name},
        "out_of_service": _("This screen shows the calls of its own location only."),
    }
    return render(request, "devices/refused.html", context, status=403)


def screen(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    refused = _screen_refused(request, location)
    if refused is not None:
        return refused
    config = {
        "display": reverse("api-display", args=[location.pk]),
        "events": reverse("api-events", args=[location.pk]),
        "number": _("number"),
        "welcome": _("Welcome"),
        "minutes": _("%(minutes)s min"),
        "waiting_one": _("person waiting"),
        "waiting_many": _("people waiting"),
    }
    context = {
        "location": location,
        "state": selectors.display_state(location),
        "config": config,
        "now": clock.now(),
    }
    return render(request, "queue/screen.html", context)


def display(request: HttpRequest, location_id: int) -> JsonResponse:
    location = get_object_or_404(Location, pk=location_id)
    return JsonResponse(selectors.display_state(location))


async def events(request: HttpRequest, location_id: int) -> HttpResponseBase:
    """Server-Sent Events of a location (see ``onthaal.queue.live``)."""
    status, error, stream = await live.open_stream(location_id)
    if stream is None:
        return JsonResponse(error, status=status)
    response = StreamingHttpResponse(stream, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


# --- desk ----------------------------------------------------------------------------------


def _serving_desks(user: Any) -> list[Desk]:
    departments = set(access.departments_with(user, "queue.serve").values_list("pk", flat=True))
    desks = Desk.objects.filter(active=True, departments__in=departments).distinct()
    return list(desks.select_related("location").prefetch_related("queues"))


@login_required
def desk_choose(request: HttpRequest) -> HttpResponse:
    desks = _serving_desks(request.user)
    if not desks:
        access.require(request.user, "queue.serve", object_type="organisation.desk")
    if request.method == "POST":
        desk_id = params.pk(request.POST, "desk")
        desk = next((d for d in desks if d.pk == desk_id), None)
        if desk is None:
            messages.error(request, _("Choose a desk."))
            return redirect("queue:desk-choose")
        try:
            services.open_desk(desk=desk, actor=request.user)
        except DomainError as error:
            _fail(request, error)
            return redirect("queue:desk-choose")
        return redirect("queue:desk", desk_id=desk.pk)
    sessions = {s.desk_id: s for s in DeskSession.objects.filter(desk__in=desks)}
    rows = [{"desk": d, "session": sessions.get(d.pk)} for d in desks]
    return render(request, "queue/desk_choose.html", {"rows": rows})


def _current_version(current: Ticket | None, session: DeskSession | None) -> str:
    """What the "current visitor" part shows depends on: unchanged, the live refresh leaves
    it out (and so reads no hand-off note again: each read is audited)."""
    state = session.state if session else ""
    if current is None:
        return f"none:{state}"
    return f"{current.pk}:{current.status}:{current.recalls}:{current.priority}:{state}"


def _desk_context(request: HttpRequest, desk: Desk, *, fragment: bool = False) -> dict[str, Any]:
    session = DeskSession.objects.filter(desk=desk).select_related("user").first()
    current = services.current_ticket(desk)
    version = _current_version(current, session)
    unchanged = fragment and request.GET.get("v_current") == version
    queue_ids = list(desk.queues.values_list("pk", flat=True))
    context: dict[str, Any] = {
        "desk": desk,
        "session": session,
        "current": current,
        "current_version": version,
        "current_unchanged": unchanged,
        "figures": selectors.queue_figures(desk.location, queue_ids),
        "own": selectors.desk_day(desk),
    }
    if current is not None and not unchanged:
        visit = selectors.visit_purpose(current)
        context.update(
            visit=visit,
            notes=selectors.notes_for(current, request.user),
            delivered=selectors.delivered_lines(current, desk, visit),
            max_quantity=services.MAX_QUANTITY,
            queues=Queue.objects.filter(location=desk.location, active=True).select_related(
                "department"
            ),
            desks=_open_desks(desk.location).exclude(pk=desk.pk),
            staff=_staff_at(desk.location),
        )
    return context


def _open_desks(location: Location) -> Any:
    """The desks of ``location`` someone works at now (a hand-over to a closed one is refused)."""
    return Desk.objects.filter(
        location=location, active=True, session__state=DeskSession.State.OPEN
    ).order_by("name")


def _staff_at(location: Location) -> list[Any]:
    users = (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__role__in=["desk_agent", "social_worker", "team_lead"],
            memberships__department__locations=location,
        )
        .distinct()
        .order_by("first_name", "username")
    )
    return list(users)


@login_required
def desk(request: HttpRequest, desk_id: int) -> HttpResponse:
    desk = get_object_or_404(Desk.objects.select_related("location"), pk=desk_id)
    if desk not in _serving_desks(request.user):
        access.require(
            request.user,
            "queue.serve",
            desk.departments.first(),
            object_type="organisation.desk",
            object_id=str(desk.pk),
        )
    fragment = bool(request.GET.get("fragment"))
    context = _desk_context(request, desk, fragment=fragment)
    template = "queue/_desk_live.html" if fragment else "queue/desk.html"
    return render(request, template, context)


DESK_ACTIONS: dict[str, Callable[..., Any]] = {}


@login_required
@require_POST
def desk_action(request: HttpRequest, desk_id: int, action: str) -> HttpResponseRedirect:
    desk = get_object_or_404(Desk.objects.select_related("location"), pk=desk_id)
    user = request.user
    try:
        if action == "call":
            called = services.call_next(desk=desk, actor=user)
            if called is None:
                messages.info(request, _("Nobody is waiting for this desk."))
            else:
                messages.success(request, _("Called %(code)s.") % {"code": called.code})
        elif action in ("pause", "resume", "close"):
            state = {"pause": "paused", "resume": "open", "close": "closed"}[action]
            services.set_desk_state(desk=desk, actor=user, state=state)
            if action == "close":
                return redirect("queue:desk-choose")
        else:
            ticket = services.get_ticket(params.pk(request.POST, "ticket"))
            if action == "recall":
                services.recall(ticket=ticket, desk=desk, actor=user)
            elif action == "start":
                services.start(ticket=ticket, desk=desk, actor=user)
            elif action == "finish":
                quantities = {
                    params.pk({"product": key[4:]}, "product"): params.count(request.POST, key)
                    for key in request.POST
                    if key.startswith("qty-")
                }
                delivered = {
                    pk: qty for pk, qty in quantities.items() if pk is not None and qty is not None
                }
                services.finish(ticket=ticket, desk=desk, actor=user, delivered=delivered)
                messages.success(request, _("%(code)s is served.") % {"code": ticket.code})
            elif action == "deliver":
                from onthaal.eloket import pickup

                handed = pickup.deliver(
                    actor=user,
                    ticket=ticket,
                    desk=desk,
                    override_reason=request.POST.get("override_reason", "")[:400],
                )
                messages.success(
                    request,
                    _("Request %(reference)s is handed over and closed.")
                    % {"reference": handed.reference},
                )
            elif action == "no-show":
                services.no_show(ticket=ticket, desk=desk, actor=user)
            elif action == "transfer":
                _transfer(request, ticket, from_desk=desk)
                messages.success(request, _("%(code)s is handed over.") % {"code": ticket.code})
            else:
                raise DomainError(_("Unknown action."))
    except DomainError as error:
        _fail(request, error)
    return redirect("queue:desk", desk_id=desk.pk)


HANDOFF_TARGETS = {"queue": "to_queue", "desk": "to_desk", "user": "to_user"}


def _transfer(request: HttpRequest, ticket: Ticket, *, from_desk: Desk | None) -> Ticket:
    """The hand-off form asks one question: to a department (its queue), a desk or a
    colleague. Only the field of the chosen answer counts."""
    to = request.POST.get("to", "")
    given = {field: params.pk(request.POST, field) for field in HANDOFF_TARGETS.values()}
    chosen = {
        field: given[field]
        for kind, field in HANDOFF_TARGETS.items()
        if to not in HANDOFF_TARGETS or kind == to
    }
    queue = Queue.objects.filter(
        pk=chosen.get("to_queue") or 0, location=ticket.location_id
    ).first()
    to_desk = Desk.objects.filter(
        pk=chosen.get("to_desk") or 0, location=ticket.location_id
    ).first()
    to_user = get_user_model().objects.filter(pk=chosen.get("to_user") or 0).first()
    return services.transfer(
        ticket=ticket,
        actor=request.user,
        queue=queue,
        to_desk=to_desk,
        to_user=to_user,
        note=request.POST.get("note", ""),
        from_desk=from_desk,
    )


# --- reception -----------------------------------------------------------------------------


@login_required
def reception(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    if not access.can(request.user, "queue.issue"):
        access.require(request.user, "queue.issue", object_type="organisation.location")
    issued: Ticket | None = None
    if request.method == "POST":
        try:
            action = request.POST.get("action", "issue")
            if action == "issue":
                queue = (
                    Queue.objects.filter(
                        pk=params.pk(request.POST, "queue") or 0, location=location
                    )
                    .prefetch_related("desks")
                    .first()
                )
                if queue is None:
                    raise DomainError(
                        _("Choose a queue."), fields={"queue": [_("Choose a queue.")]}
                    )
                # A ticket for the quick counter counts as the quick counter's in the figures.
                quick = selectors.is_quick_counter(queue)
                issued = services.issue_ticket(
                    location=location,
                    queue=queue,
                    source=Source.QUICK_COUNTER if quick else Source.RECEPTION,
                    priority=params.flag(request.POST, "priority"),
                    actor=request.user,
                    check_hours=False,
                )
                # The page after the redirect says so, with the link to print it.
            elif action == "priority":
                ticket = services.get_ticket(params.pk(request.POST, "ticket"))
                services.set_priority(
                    ticket=ticket, actor=request.user, priority=params.flag(request.POST, "on")
                )
            elif action == "transfer":
                ticket = services.get_ticket(params.pk(request.POST, "ticket"))
                _transfer(request, ticket, from_desk=None)
                messages.success(request, _("%(code)s is handed over.") % {"code": ticket.code})
        except DomainError as error:
            _fail(request, error)
        if issued is not None:
            return redirect(reverse("queue:reception", args=[slug]) + f"?issued={issued.public_id}")
        return redirect("queue:reception", slug=slug)
    waiting = (
        Ticket.objects.filter(location=location, status=Status.WAITING, service_day=clock.today())
        .select_related("queue", "assigned_user", "assigned_desk")
        .order_by("waiting_since")
    )
    context = {
        "location": location,
        "queues": Queue.objects.filter(location=location, active=True).select_related("department"),
        "waiting": waiting,
        "desks": _open_desks(location),
        "staff": _staff_at(location),
    }
    if request.GET.get("fragment"):
        return render(request, "queue/_reception_live.html", context)
    context["issued"] = Ticket.objects.filter(public_id=request.GET.get("issued") or "-").first()
    return render(request, "queue/reception.html", context)


# --- team lead -----------------------------------------------------------------------------


@login_required
def lead(request: HttpRequest, slug: str) -> HttpResponse:
    location = get_object_or_404(Location, slug=slug)
    if not access.can(request.user, "queue.lead"):
        access.require(request.user, "queue.lead", object_type="organisation.location")
    # A lead sees the queues, desks and waiting tickets of the departments they lead only (an
    # administration-wide manager: of every department but the confidential ones), and moves
    # those tickets (the move checks the ticket's department).
    own_queues = Queue.objects.filter(
        location=location,
        active=True,
        department__in=access.departments_with(request.user, "queue.lead"),
    )
    queue_ids = list(own_queues.values_list("pk", flat=True))
    # Where to: their own queues and those of any department that is not confidential.
    targets = Queue.objects.filter(location=location, active=True).filter(
        Q(pk__in=queue_ids) | Q(department__confidential=False)
    )
    if request.method == "POST":
        try:
            action = request.POST.get("action", "move")
            if action == "announce":
                until = params.day(request.POST, "until")
                services.announcement_create(
                    actor=request.user,
                    location=location,
                    text=request.POST.get("text", ""),
                    until=until,
                )
                messages.success(request, _("The announcement is on the screens."))
            elif action == "unannounce":
                announcement = get_object_or_404(
                    Announcement,
                    pk=params.pk(request.POST, "announcement") or 0,
                    location=location,
                )
                services.announcement_end(actor=request.user, announcement=announcement)
                messages.success(request, _("The announcement is off the screens."))
            else:
                ticket = services.get_ticket(params.pk(request.POST, "ticket"))
                if ticket.location_id != location.pk:
                    raise NotFound(_("This ticket does not exist."))
                queue = targets.filter(pk=params.pk(request.POST, "to_queue") or 0).first()
                services.transfer(
                    ticket=ticket, actor=request.user, queue=queue, capability="queue.lead"
                )
                messages.success(request, _("%(code)s is moved.") % {"code": ticket.code})
        except DomainError as error:
            _fail(request, error)
        return redirect("queue:lead", slug=slug)
    days = selectors.queue_days(location, queue_ids)
    context = {
        "location": location,
        "days": days,
        "quick": selectors.quick_day(days),
        "announcements": Announcement.objects.filter(location=location).order_by("pk"),
        "desks": selectors.desk_sessions(location, queue_ids),
        "waiting": Ticket.objects.filter(
            location=location,
            status=Status.WAITING,
            service_day=clock.today(),
            queue_id__in=queue_ids,
        ).select_related("queue"),
        "queues": targets,
    }
    template = "queue/_lead_live.html" if request.GET.get("fragment") else "queue/lead.html"
    return render(request, template, context)
