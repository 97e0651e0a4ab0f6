from django import template

from onthaal.hours.models import HoursChannel

register = template.Library()


@register.filter
def channel_label(channel: str) -> str:
    """The translated label of an opening-hours channel."""
    return str(dict(HoursChannel.choices).get(channel, channel))
