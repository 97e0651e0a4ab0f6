""" "Warn me when it is almost my turn": a citizen leaves an e-mail address or a mobile number
on the ticket's status page, and gets one short message through the outbox once at most
``settings.ONTHAAL_TURN_ALERT_AHEAD`` people are before them.

Set once: the status page's address is all a citizen has to prove the ticket is theirs, and
anyone who learned it (a photo of the ticket, a shoulder surfer) could otherwise redirect the
warning to themselves or away from the citizen. So the contact is set once, while the ticket
waits; it is never replaced or removed from the page (409 ``alert_already_set``); a citizen who
made a typo asks at the reception desk for a new ticket. No public channel (screen, display,
event stream) carries the status page's id.

Privacy: the contact is stored on the ticket only (``Ticket.alert_*``), is never shown on the
status page, its JSON, a screen or an event, and is forgotten in the UPDATE that closes the
ticket (``models.contact_forgotten``). The outbox copy of it is cleared by
``notify.forget_ticket_recipients`` once the ticket is closed. The message names the ticket
number, never a person.

Exactly once, with any number of workers: a ticket's alert is claimed with a conditional
UPDATE (``alert_sent_at IS NULL``) in the transaction that writes the message; of two workers
that race, the second's UPDATE waits for the first's row lock and then matches no row. The
outbox's unique constraint (one turn message per ticket and channel) is the last line.

This runs on the worker's outbox tick (and once when a citizen registers), never on the
desks' call-next path.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from onthaal.appointments import notify
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError
from onthaal.organisation.models import Department
from onthaal.queue import selectors
from onthaal.queue.models import ALERT_DUE, Status, Ticket
from onthaal.queue.services.calling import CANDIDATE_FIELDS, _rows_to_candidates

DEFAULT_LANGUAGE = "nl"


def validate_contact(email: str, phone: str) -> dict[str, list[str]]:
    """Field errors for an alert contact: the rules and messages of an appointment's contact
    (``appointments.services.validate_contact``, reused so both stay the same; its name
    check does not apply here)."""
    from onthaal.appointments import services as appointments

    errors = appointments.validate_contact("-", email, phone)
    errors.pop("name", None)
    if len(email) > 254 and "email" not in errors:
        errors["email"] = [_("This e-mail address is not valid.")]
    return errors


def register(*, ticket: Ticket, email: str, phone: str, language: str = "") -> Ticket:
    """Store where to warn the citizen of ``ticket`` — once, while it waits — audited without
    the contact itself; queue the warning at once when the ticket is already close enough to
    its turn. A contact that is set is never replaced (409 ``alert_already_set``)."""
    email, phone = email.strip(), phone.strip()
    errors = validate_contact(email, phone)
    if errors:
        raise DomainError(_("The details are not valid."), fields=errors)
    if language not in dict(settings.LANGUAGES):
        language = ""
    with transaction.atomic():
        # One conditional UPDATE: of two requests that race, one sets the contact.
        updated = Ticket.objects.filter(
            pk=ticket.pk,
            status=Status.WAITING,
            alert_sent_at__isnull=True,
            alert_email="",
            alert_phone="",
        ).update(alert_email=email, alert_phone=phone, alert_language=language)
        if updated != 1:
            current = Ticket.objects.filter(pk=ticket.pk).values("status", "alert_sent_at")
            row = current.first()
            if row and row["status"] == Status.WAITING and row["alert_sent_at"] is None:
                raise Conflict(
                    _(
                        "We already know where to warn you. To change it, ask at the "
                        "reception desk."
                    ),
                    code="alert_already_set",
                )
            raise Conflict(
                _("A warning can only be asked for while the ticket is waiting."),
                code="invalid_state",
            )
        record_event(
            action=Action.UPDATE,
            actor=f"citizen:{ticket.code}",
            object_type="queue.ticket",
            object_id=ticket.pk,
            department=ticket.queue.department,
            details={
                "code": ticket.code,
                "turn_alert": [c for c, v in (("email", email), ("sms", phone)) if v],
            },
        )
    ticket.alert_email, ticket.alert_phone, ticket.alert_language = email, phone, language
    enqueue_turn_alerts(ticket_ids=[ticket.pk])
    return ticket


def message(code: str, ahead: int, language: str) -> tuple[str, str]:
    """The subject and text of the warning, in ``language`` (else Dutch). No name."""
    with translation.override(language or DEFAULT_LANGUAGE):
        subject = _("Your turn is coming: ticket %(code)s") % {"code": code}
        if ahead <= 0:
            text = _("Ticket %(code)s: you are next. Come to the waiting room.") % {"code": code}
        else:
            text = ngettext(
                "Ticket %(code)s: about %(ahead)d more person before you. "
                "Come to the waiting room.",
                "Ticket %(code)s: about %(ahead)d more people before you. "
                "Come to the waiting room.",
                ahead,
            ) % {"code": code, "ahead": ahead}
    return subject, text


def enqueue_turn_alerts(
    now: dt.datetime | None = None, *, ticket_ids: list[int] | None = None
) -> int:
    """Queue the warning of every waiting ticket of today whose citizen asked for one and that
    is now at most ``ONTHAAL_TURN_ALERT_AHEAD`` places from its turn; the number queued.

    Two queries to find them and their queues' waiting tickets, whatever their number; then a
    short transaction per ticket that is due (see the module docstring for exactly once).
    """
    now = now or clock.now()
    today = now.astimezone(clock.BRUSSELS).date()
    limit = settings.ONTHAAL_TURN_ALERT_AHEAD
    waiting = Ticket.objects.filter(service_day=today, status=Status.WAITING)
    wanting = waiting.filter(ALERT_DUE)  # the partial index ticket_alert_due_idx
    if ticket_ids is not None:
        wanting = wanting.filter(pk__in=ticket_ids)
    wanted = list(
        wanting.values_list(
            "pk",
            "location_id",
            "code",
            "alert_email",
            "alert_phone",
            "alert_language",
            "queue__department_id",
            "queue__department__organisation_id",
        )
    )
    if not wanted:
        return 0
    # The wanted tickets are among their locations' waiting tickets: rank those once.
    rows_by_location: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    all_rows = waiting.filter(location_id__in={row[1] for row in wanted})
    for location_id, *candidate in all_rows.values_list("location_id", *CANDIDATE_FIELDS):
        rows_by_location[location_id].append(tuple(candidate))
    position: dict[int, int] = {}
    wanted_ids = {row[0] for row in wanted}
    for rows in rows_by_location.values():
        pool = _rows_to_candidates(rows, {})
        position |= selectors.positions([c for c in pool if c.id in wanted_ids], pool, now)
    queued = 0
    for pk, _location, code, email, phone, language, department_id, organisation_id in wanted:
        ahead = position.get(pk)
        if ahead is not None and ahead <= limit:
            queued += _enqueue(
                pk,
                code,
                email,
                phone,
                language,
                department_id,
                organisation_id,
                ahead=ahead,
                now=now,
            )
    return queued


def _enqueue(
    pk: int,
    code: str,
    email: str,
    phone: str,
    language: str,
    department_id: int,
    organisation_id: int,
    *,
    ahead: int,
    now: dt.datetime,
) -> bool:
    """Claim the ticket's alert and write its message(s), in one transaction; False when
    another worker did it, the ticket moved on, or the contact changed meanwhile (the next
    run takes the new one)."""
    subject, text = message(code, ahead, language)
    try:
        with transaction.atomic():
            claimed = Ticket.objects.filter(
                pk=pk,
                status=Status.WAITING,
                alert_sent_at__isnull=True,
                alert_email=email,
                alert_phone=phone,
            ).update(alert_sent_at=now)
            if claimed != 1:
                return False
            notify.turn(ticket_id=pk, email=email, phone=phone, subject=subject, text=text)
            record_event(
                action=Action.UPDATE,
                actor="system:worker",
                object_type="queue.ticket",
                object_id=pk,
                department=Department(pk=department_id, organisation_id=organisation_id),
                details={
                    "code": code,
                    "turn_alert_queued": [c for c, v in (("email", email), ("sms", phone)) if v],
                    "ahead": ahead,
                },
            )
    except IntegrityError:  # pragma: no cover - the conditional UPDATE makes this impossible
        return False
    return True
