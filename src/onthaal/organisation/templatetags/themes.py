"""``{% location_theme location as theme %}``: the theme a kiosk or screen at ``location``
wears (``onthaal.organisation.theme``)."""

from __future__ import annotations

from typing import Any

from django import template

from onthaal.organisation import theme

register = template.Library()


@register.simple_tag
def location_theme(location: Any) -> theme.Theme | None:
    return theme.location_theme(getattr(location, "pk", None))
