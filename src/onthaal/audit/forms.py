from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onthaal.audit.models import Action
from onthaal.audit.register import OBJECT_LABELS


def _object_choices() -> list[tuple[str, str]]:
    labelled = sorted(((k, str(v)) for k, v in OBJECT_LABELS.items()), key=lambda c: c[1])
    return [("", "—"), *labelled]


class AuditSearchForm(forms.Form):
    object_type = forms.ChoiceField(label=_("About"), required=False, choices=_object_choices)
    object_id = forms.CharField(
        label=_("Number or id"),
        required=False,
        max_length=100,
        help_text=_("A ticket, an appointment's reference, a mail item's register number..."),
    )
    actor_name = forms.CharField(label=_("Who (user name)"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *Action.choices]
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date lies before the start date."))
        return data
