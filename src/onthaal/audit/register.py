"""The audit log as a register people read: who (name and role), a sentence saying what
happened to what, and the raw fields behind a disclosure. Presentation only: the events
themselves are never changed (they are hash-chained)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from onthaal.accounts.models import Role
from onthaal.audit.models import Action, ActorType, AuditEvent

# What an object type is called in a sentence; an unknown type is shown as it is stored.
OBJECT_LABELS: dict[str, Promise] = {
    "queue.ticket": pgettext_lazy("audit object", "ticket"),
    "queue.handoffnote": pgettext_lazy("audit object", "the hand-off note"),
    "queue.announcement": pgettext_lazy("audit object", "announcement"),
    "appointments.appointment": pgettext_lazy("audit object", "appointment"),
    "appointments.notification": pgettext_lazy("audit object", "message to a citizen"),
    "mail.item": pgettext_lazy("audit object", "mail item"),
    "eloket.request": pgettext_lazy("audit object", "e-loket request"),
    "user": pgettext_lazy("audit object", "user account"),
    "accounts.membership": pgettext_lazy("audit object", "membership"),
    "accounts.membershiprequest": pgettext_lazy("audit object", "membership request"),
    "accounts.second_factor": pgettext_lazy("audit object", "two-step verification"),
    "accounts.apitoken": pgettext_lazy("audit object", "API token"),
    "devices.device": pgettext_lazy("audit object", "device"),
    "organisation.desk": pgettext_lazy("audit object", "desk"),
    "organisation.location": pgettext_lazy("audit object", "location"),
    "catalogue.product": pgettext_lazy("audit object", "product"),
    "reporting.dashboard": pgettext_lazy("audit object", "the figures dashboard"),
    "reporting.visits": pgettext_lazy("audit object", "the visit figures"),
    "reporting.year": pgettext_lazy("audit object", "the yearly report"),
    "reporting.advice": pgettext_lazy("audit object", "the staffing advice"),
    "reporting.erlang": pgettext_lazy("audit object", "the Erlang C calculation"),
    "reporting.report": pgettext_lazy("audit object", "a report"),
    "audit_event": pgettext_lazy("audit object", "the audit log"),
}

SENTENCES: dict[str, Promise] = {
    Action.CREATE: gettext_lazy("%(actor)s created %(object)s"),
    Action.UPDATE: gettext_lazy("%(actor)s changed %(object)s"),
    Action.DELETE: gettext_lazy("%(actor)s deleted %(object)s"),
    Action.VIEW: gettext_lazy("%(actor)s read %(object)s"),
    Action.DOWNLOAD: gettext_lazy("%(actor)s downloaded %(object)s"),
    Action.SEARCH: gettext_lazy("%(actor)s searched %(object)s"),
    Action.EXPORT: gettext_lazy("%(actor)s exported %(object)s"),
    Action.LOGIN: gettext_lazy("%(actor)s signed in"),
    Action.LOGOUT: gettext_lazy("%(actor)s signed out"),
    Action.LOGIN_FAILED: gettext_lazy("A sign-in as %(actor)s failed"),
    Action.LOCKED_OUT: gettext_lazy("The account %(actor)s was locked"),
    Action.PERMISSION_DENIED: gettext_lazy("%(actor)s was refused %(object)s"),
    Action.TRANSITION: gettext_lazy("%(actor)s changed %(object)s: %(transition)s"),
}

# The state changes as a person says them (the stored word otherwise).
TRANSITIONS: dict[str, Promise] = {
    "issue": pgettext_lazy("audit transition", "issued"),
    "call": pgettext_lazy("audit transition", "called"),
    "recall": pgettext_lazy("audit transition", "called again"),
    "start": pgettext_lazy("audit transition", "service started"),
    "finish": pgettext_lazy("audit transition", "served"),
    "no_show": pgettext_lazy("audit transition", "did not come"),
    "transfer": pgettext_lazy("audit transition", "handed over"),
    "cancel": pgettext_lazy("audit transition", "cancelled"),
    "book": pgettext_lazy("audit transition", "booked"),
    "check_in": pgettext_lazy("audit transition", "checked in"),
    "reschedule": pgettext_lazy("audit transition", "moved"),
    "confirm": pgettext_lazy("audit transition", "confirmed"),
}


@dataclass(frozen=True)
class Line:
    """One event as the register shows it."""

    event: AuditEvent
    actor: str
    role: str
    sentence: str


def object_label(object_type: str) -> str:
    label = OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def role_labels(stored: str) -> str:
    """ "desk_agent,team_lead" -> "desk agent, team lead" (labels of the user's language)."""
    labels = []
    for value in filter(None, stored.split(",")):
        try:
            labels.append(str(Role(value).label))
        except ValueError:
            labels.append(value)
    return ", ".join(labels)


def _actor(event: AuditEvent, names: Mapping[str, str]) -> str:
    label = event.actor_label
    if event.actor_type == ActorType.STAFF:
        return names.get(label) or label or _("a staff member")
    if event.actor_type == ActorType.DEVICE:
        return _("device %(name)s") % {"name": label.removeprefix("device:")}
    if event.actor_type == ActorType.CITIZEN:
        return _("a citizen (%(reference)s)") % {"reference": label.removeprefix("citizen:")}
    if event.actor_type == ActorType.SYSTEM:
        return _("the system")
    return _("an anonymous visitor")


def _object(event: AuditEvent) -> str:
    details = event.details if isinstance(event.details, dict) else {}
    label = object_label(event.object_type)
    ident = (
        details.get("code")
        or details.get("reference")
        or event.object_id
        or (details.get("ticket") if event.object_type == "queue.handoffnote" else "")
    )
    if event.object_type == "queue.handoffnote" and details.get("ticket"):
        text = _("%(object)s of ticket %(ticket)s") % {"object": label, "ticket": details["ticket"]}
    elif ident:
        text = f"{label} {ident}"
    else:
        text = label
    if event.action == Action.SEARCH and "hits" in details:
        text += " " + _("(%(hits)s hits)") % {"hits": details["hits"]}
    if event.action == Action.EXPORT and "rows" in details:
        text += " " + _("(%(rows)s rows)") % {"rows": details["rows"]}
    return text


def sentence(event: AuditEvent, names: Mapping[str, str]) -> str:
    details = event.details if isinstance(event.details, dict) else {}
    template = SENTENCES.get(event.action)
    actor = _actor(event, names)
    if template is None:
        return f"{actor}: {event.action} {_object(event)}"
    transition = str(details.get("transition", ""))
    return str(template) % {
        "actor": actor,
        "object": _object(event),
        "transition": str(TRANSITIONS.get(transition, transition)),
    }


def staff_names(events: Iterable[AuditEvent]) -> dict[str, str]:
    """User name -> full name of the staff actors of ``events`` (one query)."""
    usernames = {e.actor_label for e in events if e.actor_type == ActorType.STAFF}
    rows = get_user_model().objects.filter(username__in=usernames)
    return {u.username: u.get_full_name() or u.username for u in rows}


def lines(events: Iterable[AuditEvent]) -> list[Line]:
    listed = list(events)
    names = staff_names(listed)
    return [
        Line(
            event=e,
            actor=_actor(e, names),
            role=role_labels(e.role),
            sentence=sentence(e, names),
        )
        for e in listed
    ]


def csv_row(line: Line) -> list[Any]:
    event = line.event
    return [
        event.pk,
        event.at.isoformat(),
        line.actor,
        line.role,
        event.get_action_display(),
        line.sentence,
        event.object_type,
        event.object_id,
        event.details,
    ]
