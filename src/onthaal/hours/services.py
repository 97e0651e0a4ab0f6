"""Writing opening hours: one use case per function, validated, audited in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core.errors import DomainError
from onthaal.hours import compute
from onthaal.hours.models import OpeningException, OpeningRule


def rule_errors(rule: OpeningRule) -> dict[str, list[str]]:
    """Field errors of a rule: reversed times or period, or an overlap with another rule of
    the same location, department, channel and weekday."""
    errors: dict[str, list[str]] = {}
    if rule.opens is not None and rule.closes is not None and rule.closes <= rule.opens:
        errors["closes"] = [_("The closing time must be after the opening time.")]
    if rule.valid_from and rule.valid_until and rule.valid_until < rule.valid_from:
        errors["valid_until"] = [_("The end of the validity lies before its start.")]
    if errors or rule.location_id is None or None in (rule.opens, rule.closes, rule.valid_from):
        return errors
    others = OpeningRule.objects.filter(
        location_id=rule.location_id,
        department=rule.department,
        channel=rule.channel,
        weekday=rule.weekday,
    ).exclude(pk=rule.pk)
    candidate = rule.as_rule()
    for other in others:
        if compute.overlaps(candidate, other.as_rule()):
            errors["opens"] = [
                _("This overlaps another rule of the same channel on that day: %(other)s.")
                % {"other": other}
            ]
            break
    return errors


def exception_errors(exception: OpeningException) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if exception.closed and (exception.opens or exception.closes):
        errors["closed"] = [_("A closed day has no hours; clear the hours or untick 'closed'.")]
    if not exception.closed:
        if exception.opens is None or exception.closes is None:
            errors["opens"] = [_("Special hours need an opening and a closing time.")]
        elif exception.closes <= exception.opens:
            errors["closes"] = [_("The closing time must be after the opening time.")]
    if not (exception.reason or "").strip():
        errors["reason"] = [_("Give a reason; citizens see it.")]
    return errors


def _save_rule(rule: OpeningRule, *, actor: Any, action: str) -> OpeningRule:
    errors = rule_errors(rule)
    if errors:
        raise DomainError(_("The opening rule is not valid."), fields=errors)
    with transaction.atomic():
        rule.save()
        record_event(
            action=action,
            actor=actor,
            object_type="hours.openingrule",
            object_id=rule.pk,
            department=rule.department,
            details={"location": rule.location_id, "rule": str(rule)},
        )
    return rule


def rule_create(*, actor: Any, **fields: Any) -> OpeningRule:
    """Create a weekly rule; refused with field errors when it overlaps or is reversed."""
    return _save_rule(OpeningRule(**fields), actor=actor, action=Action.CREATE)


def rule_update(*, actor: Any, rule: OpeningRule, **fields: Any) -> OpeningRule:
    for name, value in fields.items():
        setattr(rule, name, value)
    return _save_rule(rule, actor=actor, action=Action.UPDATE)


def exception_create(*, actor: Any, **fields: Any) -> OpeningException:
    """Create a closed day or special hours for a day."""
    exception = OpeningException(**fields)
    errors = exception_errors(exception)
    if errors:
        raise DomainError(_("The exception is not valid."), fields=errors)
    with transaction.atomic():
        exception.save()
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="hours.openingexception",
            object_id=exception.pk,
            department=exception.department,
            details={"location": exception.location_id, "date": exception.date.isoformat()},
        )
    return exception
