from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onthaal.accounts import access
from onthaal.accounts.admin_access import CapabilityAdmin
from onthaal.hours.models import OpeningException, OpeningRule
from onthaal.staffing import hours_impact

SHOWN_GAPS = 10


def _gap_list(cells: list[Any]) -> str:
    text = "; ".join(hours_impact.describe(cells[:SHOWN_GAPS]))
    if len(cells) > SHOWN_GAPS:
        text += "; " + gettext("and %(n)s more") % {"n": len(cells) - SHOWN_GAPS}
    return text


def _gaps(obj: Model, *, deleted: bool = False) -> list[Any]:
    """The staff coverage gaps that saving (or deleting) ``obj`` would open."""
    location = getattr(obj, "location", None)
    if location is None:
        return []
    old = type(obj)._default_manager.filter(pk=obj.pk).first() if obj.pk else None
    if isinstance(obj, OpeningRule):
        return hours_impact.hours_change_gaps(location, rule=obj, old=old, deleted=deleted)
    return hours_impact.hours_change_gaps(location, exception=obj, old=old, deleted=deleted)


class HoursForm(forms.ModelForm):
    """Refuses a change that would open a gap in the staff coverage of the front desks
    (``staffing.hours_impact``) until ``accept_gap`` is ticked, listing the gaps: the same
    confirmation as approving a telework request that opens one."""

    accept_gap = forms.BooleanField(
        label=_("Save despite the gap"),
        required=False,
        help_text=_(
            "Only asked when the change would leave hours without enough staff at the front desks."
        ),
    )

    def _post_clean(self) -> None:
        # After the model's own validation, with the instance as it would be saved.
        super()._post_clean()  # type: ignore[misc]
        self.gaps: list[Any] = []
        if self.errors:
            return
        self.gaps = _gaps(self.instance)
        if self.gaps and not self.cleaned_data.get("accept_gap"):
            self.add_error(
                None,
                ValidationError(
                    gettext(
                        "This change would open a gap in the staff coverage: %(where)s. Tick 'Save despite the gap' to save it anyway."
                    )
                    % {"where": _gap_list(self.gaps)},
                    code="coverage_gap",
                ),
            )


class HoursAdmin(CapabilityAdmin):
    """Team leads edit their own department's hours; location-wide hours (no department)
    belong to administrators with an administration-wide membership. A change that would
    open a staff coverage gap is confirmed first (``HoursForm``) and the gaps are in its
    audit event."""

    capability = "hours.change"
    form = HoursForm
    department_path = "department"
    list_filter = ["location", "department"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        condition = Q(department__in=self._departments(request))
        if self._location_wide(request):
            condition |= Q(department__isnull=True)
        return queryset.filter(condition)

    def _location_wide(self, request: HttpRequest) -> bool:
        return any(
            m.department_id is None and m.role in access.CAPABILITIES[self.capability]
            for m in access.memberships(request.user)
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        obj.coverage_gaps = list(getattr(form, "gaps", []))
        if obj.coverage_gaps:
            messages.warning(
                request,
                gettext("Saved; this change opens a gap in the staff coverage: %(where)s.")
                % {"where": _gap_list(obj.coverage_gaps)},
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        gaps = _gaps(obj, deleted=True)
        super().delete_model(request, obj)
        if gaps:
            messages.warning(
                request,
                gettext("Deleted; this opens a gap in the staff coverage: %(where)s.")
                % {"where": _gap_list(gaps)},
            )

    def _audit(
        self, request: HttpRequest, obj: Model, action: str, details: dict[str, Any]
    ) -> None:
        gaps = getattr(obj, "coverage_gaps", None)
        if gaps:
            details = {**details, "coverage_gaps": len(gaps)}
        super()._audit(request, obj, action, details)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "department" and not self._location_wide(request):
            field.required = True
        return field


@admin.register(OpeningRule)
class OpeningRuleAdmin(HoursAdmin):
    list_display = [
        "location",
        "department",
        "channel",
        "weekday",
        "opens",
        "closes",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["location", "department", "channel", "weekday"]


@admin.register(OpeningException)
class OpeningExceptionAdmin(HoursAdmin):
    list_display = [
        "date",
        "location",
        "department",
        "channel",
        "closed",
        "opens",
        "closes",
        "reason",
    ]
    list_filter = ["location", "department", "closed"]
    date_hierarchy = "date"
