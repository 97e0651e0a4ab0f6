"""The satisfaction survey: one question ("how was your visit?"), five smileys, an optional
comment. Offered on a ticket's phone page once the visitor has been served; opt-in and
anonymous.

What is kept: department, location, service day, channel, score and comment
(``SurveyAnswer``) — no ticket, no time of day, nothing that leads back to a person. One
answer per visit: the answer comes with a ``SurveyReceipt`` whose key is a keyed hash (HMAC
with the install's secret key) of the visit, so a second answer fails on the database's
unique index; the receipt does not point to the answer. The link carries a signed token (the
visit it is for, signed with the secret key, valid ``MAX_AGE``): a visitor can answer for
their own visit only, and nobody can make up a token for another. Answers are counted per
client address (``PER_ADDRESS`` an hour).

By e-mail: a citizen who agreed when booking an appointment (or later on its manage page;
``appointments.followup``) gets the same link once, after the visit was served:
``invite_opted_in``, run by the worker every minute, queues it in the appointments' outbox. The
link is the ticket's (the appointment's visit is its ticket), so the visit is rated once,
whether on the ticket's page or from the e-mail; a visit rated already is not invited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from onthaal.appointments import followup
from onthaal.core import clock
from onthaal.core.errors import Conflict, DomainError, NotFound
from onthaal.core.ratelimit import TooMany, hit
from onthaal.queue import selectors as queue_selectors
from onthaal.reporting import facts
from onthaal.reporting.models import SurveyAnswer, SurveyReceipt
from onthaal.reporting.services import ticket_records

SALT = "onthaal.reporting.survey"
MAX_AGE = dt.timedelta(days=14)  # a visit can be rated for two weeks
COMMENT_MAX = 500
PER_ADDRESS = 20  # answers per client address per WINDOW
WINDOW = 3600
SCORES = (1, 2, 3, 4, 5)
# The invitation by e-mail goes out within this time of the appointment's start, or not at all
# (a worker that was down longer does not send week-old invitations).
INVITE_WITHIN = dt.timedelta(days=2)


@dataclass(frozen=True)
class Offer:
    """The survey as a ticket page shows it: the token to answer with, or that it was
    answered already."""

    token: str
    answered: bool


def token_for(origin: str, origin_id: int) -> str:
    return signing.dumps([origin, origin_id], salt=SALT)


def receipt_for(origin: str, origin_id: int) -> str:
    return salted_hmac(SALT, f"{origin}:{origin_id}", algorithm="sha256").hexdigest()


def offer_for_ticket(ticket: Any) -> Offer | None:
    """The survey for a ticket's page: only once it was served (``done``), for ``MAX_AGE``."""
    if ticket.status != "done" or ticket.service_day < clock.today() - MAX_AGE:
        return None
    answered = SurveyReceipt.objects.filter(digest=receipt_for(facts.TICKET, ticket.pk)).exists()
    return Offer(token_for(facts.TICKET, ticket.pk), answered)


def _served_ticket(pk: int) -> facts.VisitFact | None:
    rows = queue_selectors.closed_tickets(pk_from=pk, limit=1)
    if not rows or rows[0]["pk"] != pk:
        return None
    fact = facts.from_ticket(ticket_records(rows)[0])
    return fact if fact.outcome == facts.SERVED else None


def visit_for(token: str) -> facts.VisitFact:
    """The served visit ``token`` is for; ``NotFound`` for a forged, expired or unknown one."""
    unknown = NotFound(_("This survey link is not valid (any more)."), code="survey_invalid")
    try:
        origin, origin_id = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        raise unknown from None
    if origin != facts.TICKET or not isinstance(origin_id, int):
        raise unknown
    visit = _served_ticket(origin_id)
    if visit is None or visit.service_day < clock.today() - MAX_AGE:
        raise unknown
    return visit


def answered(visit: facts.VisitFact) -> bool:
    return SurveyReceipt.objects.filter(digest=receipt_for(visit.origin, visit.origin_id)).exists()


def clean(score: Any, comment: Any) -> tuple[int, str]:
    """The score (1 to 5) and the comment (at most ``COMMENT_MAX`` characters), or a
    ``DomainError`` with a message per field."""
    errors: dict[str, list[str]] = {}
    try:
        value = int(str(score))
    except (TypeError, ValueError):
        value = 0
    if value not in SCORES:
        errors["score"] = [_("Choose one of the five faces.")]
    text = str(comment or "").strip().replace("\x00", "")
    if len(text) > COMMENT_MAX:
        errors["comment"] = [
            _("Keep the comment to %(n)d characters (it has %(len)d).")
            % {"n": COMMENT_MAX, "len": len(text)}
        ]
    if errors:
        raise DomainError(_("Please correct the fields below."), fields=errors)
    return value, text


def survey_answer(*, token: str, score: Any, comment: Any, address: str | None) -> SurveyAnswer:
    """Store one answer for the visit of ``token``: ``TooMany`` past the address's limit,
    ``NotFound`` for a bad token, ``DomainError`` with field messages for bad input,
    ``Conflict`` when the visit has answered already (nothing is written then)."""
    if not hit(f"survey:{address or 'unknown'}", PER_ADDRESS, WINDOW):
        raise TooMany(_("Too many answers from this address. Please try again later."))
    visit = visit_for(token)
    value, text = clean(score, comment)
    try:
        with transaction.atomic():
            SurveyReceipt.objects.create(digest=receipt_for(visit.origin, visit.origin_id))
            return SurveyAnswer.objects.create(
                department_id=visit.department_id,
                location_id=visit.location_id,
                service_day=visit.service_day,
                channel=visit.channel,
                score=value,
                comment=text,
            )
    except IntegrityError:
        raise Conflict(
            _("This visit has been rated already. Thank you!"), code="survey_answered"
        ) from None


def invite_opted_in(*, limit: int = 200) -> int:
    """Queue the survey's invitation for every appointment whose visit was served and whose
    citizen agreed to it (``appointments.followup.invitations_due``), once each: the link to
    the ticket's survey (``ONTHAAL_PUBLIC_URL``). Not for a visit rated already on the ticket's
    page. Returns how many were queued."""
    queued, cursor = 0, 0
    while True:
        due = followup.invitations_due(
            since=clock.now() - INVITE_WITHIN, pk_from=cursor, limit=limit
        )
        queued += _invite(due)
        if len(due) < limit:
            return queued
        cursor = due[-1]["pk"] + 1


def _invite(due: list[dict[str, int]]) -> int:
    rated = set(
        SurveyReceipt.objects.filter(
            digest__in=[receipt_for(facts.TICKET, row["ticket_id"]) for row in due]
        ).values_list("digest", flat=True)
    )
    queued = 0
    for row in due:
        if receipt_for(facts.TICKET, row["ticket_id"]) in rated:
            continue
        visit = _served_ticket(row["ticket_id"])
        if visit is None or visit.service_day < clock.today() - MAX_AGE:
            continue
        path = reverse("survey:answer", args=[token_for(facts.TICKET, row["ticket_id"])])
        queued += followup.queue_survey_invitation(
            appointment_id=row["pk"],
            survey_url=settings.ONTHAAL_PUBLIC_URL.rstrip("/") + path,
            valid_days=MAX_AGE.days,
        )
    return queued
