"""Announcements on the waiting-room screens, set by a team lead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.organisation.models import Location
from onthaal.queue import broker
from onthaal.queue.models import Announcement

MAX_ANNOUNCEMENTS = 5


def announcement_create(
    *, actor: Any, location: Location, text: str, until: dt.date | None = None
) -> Announcement:
    """Add a line to the location's screens (refused past ``MAX_ANNOUNCEMENTS``)."""
    access.require(
        actor, "queue.lead", object_type="organisation.location", object_id=str(location.pk)
    )
    text = " ".join(text.split())
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the announcement.")]
    elif len(text) > 200:
        errors["text"] = [_("Keep the announcement under 200 characters.")]
    if until is not None and until < clock.today():
        errors["until"] = [_("Choose today or a later day.")]
    if not errors and Announcement.objects.filter(location=location).count() >= MAX_ANNOUNCEMENTS:
        errors["text"] = [
            _("A screen shows at most %(n)s announcements: end one first.")
            % {"n": MAX_ANNOUNCEMENTS}
        ]
    if errors:
        raise DomainError(_("The announcement cannot be added."), fields=errors)
    with transaction.atomic():
        announcement = Announcement.objects.create(
            location=location, text=text, until=until, created_by=actor, created_at=clock.now()
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="queue.announcement",
            object_id=announcement.pk,
            details={"location": location.pk, "until": until.isoformat() if until else None},
        )
    broker.publish(location.pk, {"type": "announcements"})
    return announcement


def announcement_end(*, actor: Any, announcement: Announcement) -> None:
    """Take a line off the screens."""
    location = announcement.location
    access.require(
        actor, "queue.lead", object_type="queue.announcement", object_id=str(announcement.pk)
    )
    with transaction.atomic():
        Announcement.objects.filter(pk=announcement.pk).delete()
        record_event(
            action=Action.DELETE,
            actor=actor,
            object_type="queue.announcement",
            object_id=announcement.pk,
            details={"location": location.pk},
        )
    broker.publish(location.pk, {"type": "announcements"})
