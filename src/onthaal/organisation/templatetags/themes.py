"""``{% location_theme location as theme %}``: the theme a kiosk or screen at ``location``
wears (``onthaal.organisation.theme``); ``{% location_organisation location as organisation %}``:
the organisation whose name it shows."""

from __future__ import annotations

from typing import Any

from django import template

from onthaal.organisation import selectors, theme
from onthaal.organisation.models import Location, Organisation

register = template.Library()


@register.simple_tag
def location_theme(location: Any) -> theme.Theme | None:
    return theme.location_theme(getattr(location, "pk", None))


@register.simple_tag
def location_organisation(location: Any) -> Organisation | None:
    """``{% location_organisation location as organisation %}``: whose name a kiosk or screen
    at ``location`` shows (``selectors.location_organisation``); None without a location."""
    return selectors.location_organisation(location) if isinstance(location, Location) else None
