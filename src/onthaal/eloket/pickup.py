"""Picking a request up at the quick counter (snelbalie).

When a request whose product is delivered "pick up at the quick counter" is ready, its status
page tells the citizen to type the reference at the kiosk. The kiosk then issues a ticket in
the location's quick-counter queue (a queue served by a desk of kind "quick counter"), linked
to the request; screens and the ticket show its number only. The desk that calls the ticket
sees the request (reference, product, what is left to pay) and marks it delivered: the request
is closed (one reporting fact of channel e-loket, as every closed request) and the hand-over is
an audit event.

The kiosk answers every reference it cannot use — unknown, mistyped, not ready, not for
pick-up, confidential, already delivered — with the same sentence, so it tells nobody whether
a reference exists. Failed tries are counted per kiosk (``ONTHAAL_ELOKET_PICKUP_TRIES`` per
10 minutes, default 10); past that the kiosk refuses pick-ups for a while. Every refusal is an
audit event with its reason (the log says why; the screen does not).
"""

from __future__ import annotations

import os
import re
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, Conflict, DomainError
from onthaal.core.ratelimit import TooMany, hit
from onthaal.eloket.models import Delivery, Request, Status
from onthaal.organisation.models import Desk, Location
from onthaal.queue import selectors as queue_selectors
from onthaal.queue.models import Queue, Source, Ticket
from onthaal.queue.models import Status as TicketStatus

OBJECT_TYPE = "eloket.request"
# Failed pick-up tries per kiosk and 10 minutes.
TRIES = (int(os.environ.get("ONTHAAL_ELOKET_PICKUP_TRIES", "10")), 10 * 60)
_REFERENCE = re.compile(r"^E[A-Z0-9]{7}$")


def not_found_text() -> str:
    return _(
        "We do not find a request that is ready to be picked up with this reference. "
        "Check the reference in your e-mail, or ask at the reception."
    )


def quick_queue(location: Location) -> Queue | None:
    """The location's quick-counter queue: an active queue served by a quick-counter desk."""
    return queue_selectors.quick_queue(location)


def _for_pickup(found: Request) -> bool:
    offer = getattr(found.product, "eloket", None)
    return offer is not None and offer.delivery == Delivery.PICKUP


def _tries_key(actor: str) -> str:
    return f"onthaal:eloket:pickup:{actor}"


def _refuse(actor: str, location: Location, reason: str, reference: str, **extra: Any) -> None:
    record_refusal(
        actor=actor,
        capability="eloket.pickup",
        object_type=OBJECT_TYPE,
        object_id=reference[:12],
        details={"reason": reason, "location": location.pk, **extra},
    )


def issue_pickup_ticket(
    *, reference: str, location: Location, actor: str, submission_key: str = ""
) -> Ticket:
    """The kiosk's "I come to pick up an e-loket request": a ticket in the quick-counter
    queue, linked to the request. ``actor`` is the kiosk device (``device.actor``).

    A request is picked up when it is ready, its product is delivered at the quick counter,
    it is not of a confidential department and it was not anonymised. A request with an open
    pick-up ticket gets that ticket again (its first answer was lost)."""
    queue = quick_queue(location)
    if queue is None:
        _refuse(actor, location, "no_quick_counter", reference)
        raise DomainError(
            _("There is no quick counter at this location. Ask at the reception."),
            code="no_quick_counter",
        )
    from onthaal.queue import services as queue_services

    # Asked before the reference is looked at: the answer must not depend on it.
    is_open, _opens = queue_services.walk_in_status(location, queue)
    if not is_open:
        raise DomainError(
            _("The quick counter is closed now. Ask at the reception."), code="closed"
        )
    limit, window = TRIES
    key = _tries_key(actor)
    if int(cache.get(key) or 0) >= limit:
        _refuse(actor, location, "rate_limited", reference)
        raise TooMany(_("Too many tries at this kiosk. Ask at the reception."))
    code = re.sub(r"[^A-Z0-9]", "", (reference or "").upper())
    message = not_found_text()
    with transaction.atomic():
        found = (
            Request.objects.select_for_update(of=("self",))
            .select_related("product__eloket", "pickup_ticket")
            .filter(reference=code)
            .first()
            if _REFERENCE.match(code)
            else None
        )
        reason = ""
        if found is None:
            reason = "unknown"
        elif found.anonymised_at is not None or found.confidential or not _for_pickup(found):
            reason = "not_for_pickup"
        elif found.status != Status.READY:
            reason = "not_ready"
        if found is not None and not reason:
            earlier = found.pickup_ticket
            if earlier is not None and earlier.status in (
                TicketStatus.WAITING,
                TicketStatus.CALLED,
                TicketStatus.SERVING,
            ):
                return earlier
            offered = set(queue.products.values_list("pk", flat=True))
            ticket = queue_services.issue_ticket(
                location=location,
                queue=queue,
                source=Source.QUICK_COUNTER,
                actor=actor,
                products=[found.product] if found.product_id in offered else [],
                check_hours=False,
                submission_key=submission_key,
            )
            Request.objects.filter(pk=found.pk).update(pickup_ticket=ticket)
            record_event(
                action=Action.UPDATE,
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=found.reference,
                department=found.department,
                details={"pickup_ticket": ticket.code, "location": location.pk},
            )
            return ticket
    hit(key, limit, window)
    _refuse(actor, location, reason, code)
    raise DomainError(message, code="not_found", fields={"reference": [message]})


def request_for_ticket(ticket: Ticket) -> Request | None:
    """The request ``ticket`` was issued to pick up, if any (no personal data read)."""
    return (
        Request.objects.select_related("product", "department").filter(pickup_ticket=ticket).first()
    )


def deliver(*, actor: Any, ticket: Ticket, desk: Desk, override_reason: str = "") -> Request:
    """The desk serving ``ticket`` hands the request over: it is closed (``services._move``,
    with the unpaid guard of ``services.transition``) and the citizen informed. Only the
    person working at the desk that called the ticket may do it."""
    from onthaal.eloket import services
    from onthaal.queue.models import DeskSession

    with transaction.atomic():
        found = request_for_ticket(ticket)
        locked_ticket = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
        at_desk = DeskSession.objects.filter(desk=desk, user=actor).exists()
        if (
            found is None
            or locked_ticket is None
            or locked_ticket.desk_id != desk.pk
            or locked_ticket.status not in (TicketStatus.CALLED, TicketStatus.SERVING)
            or not at_desk
        ):
            record_refusal(
                actor=actor,
                capability="eloket.pickup",
                object_type=OBJECT_TYPE,
                object_id=found.reference if found is not None else "",
                details={"ticket": ticket.pk, "desk": desk.pk},
            )
            raise AccessDenied(_("Only the desk that called this ticket can hand it over."))
        locked = services._locked(found)
        if locked.pickup_ticket_id != ticket.pk or locked.status != Status.READY:
            raise Conflict(
                _("This is not possible while the request is %(status)s.")
                % {"status": locked.get_status_display()},
                code="invalid_transition",
            )
        details: dict[str, Any] = {
            "delivered": "quick_counter",
            "ticket": locked_ticket.code,
            "desk": desk.pk,
        }
        details.update(services.unpaid_check(locked, override_reason))
        services._move(locked, Status.CLOSED, actor, details)
        services._queue(locked, "changed", {"message": ""})
        locked.changed_at = clock.now()
    return locked
