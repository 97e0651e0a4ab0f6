"""``{% ticket_survey ticket %}``: the satisfaction survey on a ticket's phone page, once the
visitor has been served (the queue's template loads it; the queue's code does not import
reporting)."""

from __future__ import annotations

from typing import Any

from django import template

from onthaal.reporting import survey

register = template.Library()


@register.inclusion_tag("reporting/_survey_form.html", takes_context=True)
def ticket_survey(context: template.Context, ticket: Any) -> dict[str, Any]:
    from onthaal.reporting.views import survey_context

    return {
        **survey_context(survey.offer_for_ticket(ticket)),
        "csrf_token": context.get("csrf_token"),
    }
