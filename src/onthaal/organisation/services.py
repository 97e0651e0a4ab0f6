"""Writes of the organisation app that do not go through the admin."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.organisation import theme_files
from onthaal.organisation.models import Organisation


@transaction.atomic
def organisation_theme_set(
    *,
    actor: Any,
    organisation: Organisation,
    primary_colour: str = "",
    accent_colour: str = "",
    logo: bytes | None = None,
    favicon: bytes | None = None,
) -> Organisation:
    """Give ``organisation`` its theme: the colours, and the logo and favicon from their bytes
    (None: keep the one it has). Checked as the admin checks them (contrast, file type);
    raises ValidationError."""
    organisation.primary_colour = primary_colour
    organisation.accent_colour = accent_colour
    organisation.full_clean()
    for field, data in (("logo", logo), ("favicon", favicon)):
        if data is None:
            continue
        checked = theme_files.check(data, **theme_files.RULES[field])
        setattr(organisation, field, theme_files.put(data, checked))
    organisation.save()
    record_event(
        action=Action.UPDATE,
        actor=actor,
        object_type="organisation.organisation",
        object_id=organisation.pk,
        details={"changed": ["theme"]},
    )
    return organisation
