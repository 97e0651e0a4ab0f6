"""Intake suggestions: the first active rule (by priority) whose sender, keyword or regular
expression matches says which document type, department and handler to suggest — as
Paperless-ngx's matching does. The mail clerk sees the suggestion and may change it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from onthaal.mail.models import MailRule

# A rule's regular expression runs on at most this much text, so a pathological pattern
# cannot hold a request for long.
MAX_TEXT = 20_000


@dataclass(frozen=True)
class Suggestion:
    rule: MailRule
    department: Any
    document_type: Any
    handler: Any


def matches(rule: MailRule, *, sender: str, text: str) -> bool:
    pattern = rule.pattern.strip()
    if not pattern:
        return False
    if rule.match == MailRule.Match.SENDER:
        return pattern.casefold() in sender.casefold()
    if rule.match == MailRule.Match.KEYWORD:
        return re.search(rf"\b{re.escape(pattern)}\b", text, re.IGNORECASE) is not None
    try:
        return re.search(pattern, text[:MAX_TEXT], re.IGNORECASE) is not None
    except re.error:
        return False


def suggest(*, sender: str = "", text: str = "") -> Suggestion | None:
    """The suggestion of the first matching rule, or None."""
    rules = MailRule.objects.filter(active=True).select_related(
        "department", "document_type", "handler"
    )
    for rule in rules.order_by("priority", "pk"):
        if matches(rule, sender=sender, text=text):
            return Suggestion(
                rule=rule,
                department=rule.department,
                document_type=rule.document_type,
                handler=rule.handler,
            )
    return None
