"""Letters made from a template: an HTML page with the organisation's letterhead and the
register number, printed to PDF by WeasyPrint.

WeasyPrint needs Pango (a system library, `apt-get install libpango-1.0-0 libpangoft2-1.0-0`;
`.ci/run` installs it). Without it, answering by letter says that letters are not available;
answering with an uploaded document or by e-mail still works.
"""

from __future__ import annotations

import logging
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from onthaal.core import clock
from onthaal.core.errors import DomainError

log = logging.getLogger(__name__)


def available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render(*, item: Any, answers: Any, body: str, language: str = "nl") -> bytes:
    """The letter of outgoing ``item`` (registered, so it has its number) as PDF bytes."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        log.warning("letters unavailable: %s", error)
        message = _("Letters cannot be made on this server (WeasyPrint is not installed).")
        raise DomainError(message, code="letters_unavailable", fields={"kind": [message]}) from None
    department = item.department
    location = department.locations.order_by("pk").first()
    with translation.override(language):
        html = render_to_string(
            "mail/letter.html",
            {
                "item": item,
                "answers": answers,
                "organisation": department.organisation,
                "department": department,
                "location": location,
                "correspondent": item.correspondent,
                "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
                "today": clock.today(),
            },
        )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
