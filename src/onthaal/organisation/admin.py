from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.core import clock
from onthaal.organisation import theme_cache, theme_files
from onthaal.organisation.models import (
    Department,
    Desk,
    DeskAbsence,
    DeskSchedule,
    Location,
    Organisation,
)


class OrganisationForm(forms.ModelForm):
    """The organisation with its theme: a logo or favicon is checked on its bytes and stored
    under its content's hash (``theme_files``); colours that fail WCAG AA are refused by
    ``Organisation.clean``."""

    class Meta:
        model = Organisation
        fields = ["name", "kind", "logo", "favicon", "primary_colour", "accent_colour"]
        widgets = {
            name: forms.TextInput(
                attrs={"size": 8, "pattern": "#[0-9a-fA-F]{6}", "placeholder": "#0b5394"}
            )
            for name in ("primary_colour", "accent_colour")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.checked_files: dict[str, tuple[bytes, theme_files.Checked]] = {}

    def _checked_file(self, field: str) -> Any:
        value = self.cleaned_data.get(field)
        if not isinstance(value, UploadedFile):
            return value  # unchanged, cleared or empty
        rules = theme_files.RULES[field]
        data = value.read(rules["max_bytes"] + 1)
        self.checked_files[field] = (data, theme_files.check(data, **rules))
        return value

    def clean_logo(self) -> Any:
        return self._checked_file("logo")

    def clean_favicon(self) -> Any:
        return self._checked_file("favicon")

    def save(self, commit: bool = True) -> Any:
        """Store each new file under its hash (once), only now that the whole form is valid."""
        for field, (data, checked) in self.checked_files.items():
            setattr(self.instance, field, theme_files.put(data, checked))
        return super().save(commit)


@admin.register(Organisation)
class OrganisationAdmin(CapabilityAdmin):
    form = OrganisationForm
    list_display = ["name", "kind"]
    fieldsets = [
        (None, {"fields": ["name", "kind"]}),
        (
            _("Theme"),
            {
                "fields": ["logo", "favicon", "primary_colour", "accent_colour"],
                "description": _(
                    "The citizens' pages, the staff pages, the kiosks and the waiting-room "
                    "screens wear the theme of the municipality (of the OCMW if only it has "
                    "one); a kiosk or screen the one of its location's organisation."
                ),
            },
        ),
    ]


@admin.register(Location)
class LocationAdmin(CapabilityAdmin):
    list_display = ["name", "slug", "city"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Department)
class DepartmentAdmin(CapabilityAdmin):
    list_display = ["name", "organisation", "confidential"]
    list_filter = ["organisation", "confidential"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["locations"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        theme_cache.invalidate_after_commit()  # its locations pick a kiosk's theme

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Whether a department is confidential is set when it is made: switching it off
        and on again would let one administrator grant themselves its data without the
        second person a confidential department's memberships need."""
        return ["confidential"] if obj is not None else []


class DeskScheduleInline(CapabilityInline):
    """When the desk takes appointments; no rows: whenever the appointment channel is open."""

    model = DeskSchedule
    fields = ["weekday", "start", "end", "valid_from", "valid_until"]
    extra = 0


class DeskAbsenceInline(CapabilityInline):
    """The absences that have not ended yet; the past ones are in the absences list."""

    model = DeskAbsence
    fields = ["start", "end", "reason"]
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(end__gt=clock.now())


@admin.register(Desk)
class DeskAdmin(CapabilityAdmin):
    list_display = ["name", "location", "kind", "active"]
    list_filter = ["location", "kind", "active"]
    filter_horizontal = ["departments"]
    inlines = [DeskScheduleInline, DeskAbsenceInline]


@admin.register(DeskAbsence)
class DeskAbsenceAdmin(CapabilityAdmin):
    list_display = ["desk", "start", "end", "reason"]
    list_filter = ["desk__location", "desk"]
    date_hierarchy = "start"
    list_select_related = ["desk__location"]
