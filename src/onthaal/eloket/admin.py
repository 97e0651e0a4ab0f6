"""The e-loket in the admin: a team lead sets a product's e-loket offer and edits its form
(ordered fields inline, a preview, and a new version when the current one is in use)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Max, Model, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.core import clock
from onthaal.eloket import formspec
from onthaal.eloket.models import Form, FormField, FormVersion, ProductSettings


@admin.register(ProductSettings)
class ProductSettingsAdmin(CapabilityAdmin):
    capability = "catalogue.change"
    department_path = "product__department"
    list_display = ["product", "active", "delivery", "price", "lead_days"]
    list_filter = ["active", "delivery"]
    fieldsets = [
        (None, {"fields": ["product", "active", "delivery", "price", "lead_days"]}),
        (None, {"fields": ["needs_national_number", "strong_login"]}),
        ("Nederlands", {"fields": ["bring_nl"]}),
        ("Français", {"fields": ["bring_fr"]}),
        ("English", {"fields": ["bring_en"]}),
        (None, {"fields": ["document_text"]}),
    ]


def _show_when_messages() -> dict[str, Any]:
    return {
        "no_key": _("Name the field whose value decides, or leave the value empty."),
        "unknown": _("This form version has no field with the key “%(key)s”."),
        "self": _("A field cannot depend on itself."),
        "later": _(
            "The field “%(key)s” comes after this one: a field can only depend on an earlier field."
        ),
        "file": _("The field “%(key)s” is a file upload: it has no value to compare."),
        "value": _("The field “%(key)s” cannot have the value “%(value)s” (%(allowed)s)."),
    }


class FormFieldFormSet(BaseInlineFormSet):
    """The fields of one form version checked together: every "show when" must name an
    earlier field of the same version, with a value that field can have
    (``formspec.show_when_problems``)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            f
            for f in self.forms
            if getattr(f, "cleaned_data", None)
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("key")
        ]
        kept.sort(key=lambda f: f.cleaned_data.get("position") or 0)
        specs = [
            formspec.FieldSpec(
                key=f.cleaned_data["key"],
                kind=f.cleaned_data.get("kind") or "text",
                label=f.cleaned_data.get("label_nl") or "",
                choices=tuple(
                    line.strip()
                    for line in (f.cleaned_data.get("choices") or "").splitlines()
                    if line.strip()
                ),
                show_when_key=f.cleaned_data.get("show_when_key") or "",
                show_when_value=f.cleaned_data.get("show_when_value") or "",
            )
            for f in kept
        ]
        by_key = {spec.key: spec for spec in specs}
        texts = _show_when_messages()
        problems = formspec.show_when_problems(specs)
        for form, spec in zip(kept, specs, strict=True):
            code = problems.get(spec.key)
            if code is None:
                continue
            target = by_key.get(spec.show_when_key)
            allowed: Any
            if target is not None and target.kind == "checkbox":
                allowed = _("“yes” for ticked, empty for not ticked")
            elif target is not None and target.choices:
                allowed = ", ".join(f"“{c}”" for c in target.choices)
            else:
                allowed = "—"
            message = texts[code] % {
                "key": spec.show_when_key,
                "value": spec.show_when_value,
                "allowed": allowed,
            }
            field = "show_when_value" if code in ("value", "no_key") else "show_when_key"
            form.add_error(field, message)


class FormFieldInline(CapabilityInline):
    capability = "catalogue.change"
    model = FormField
    formset = FormFieldFormSet
    extra = 1
    ordering = ["position"]
    fields = [
        "position",
        "key",
        "kind",
        "required",
        "label_nl",
        "label_fr",
        "label_en",
        "help_nl",
        "help_fr",
        "help_en",
        "choices",
        "show_when_key",
        "show_when_value",
    ]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _editable(obj) and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _editable(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _editable(obj) and super().has_delete_permission(request, obj)


def _editable(version: Model | None) -> bool:
    """A version that a request was filed with is kept as it is."""
    return not (isinstance(version, FormVersion) and version.requests.exists())


@admin.register(Form)
class FormAdmin(CapabilityAdmin):
    capability = "catalogue.change"
    department_path = "product__department"
    list_display = ["product", "versions_link"]

    @admin.display(description=_("versions"))
    def versions_link(self, obj: Form) -> str:
        url = reverse("admin:eloket_formversion_changelist") + f"?form__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.versions.count())


@admin.register(FormVersion)
class FormVersionAdmin(CapabilityAdmin):
    capability = "catalogue.change"
    department_path = "form__product__department"
    list_display = ["__str__", "published", "created_at", "preview_link"]
    list_filter = ["published"]
    readonly_fields = ["created_at"]
    fields = ["form", "number", "published", "created_at"]
    inlines = [FormFieldInline]
    actions = ["new_version"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"number": 1}

    def save_model(self, request: HttpRequest, obj: FormVersion, form: Any, change: bool) -> None:
        if not obj.created_at:
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is not None and not _editable(obj):
            return ["form", "number", "created_at"]
        return self.readonly_fields

    @admin.display(description=_("preview"))
    def preview_link(self, obj: FormVersion) -> str:
        url = reverse("admin:eloket_formversion_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("preview"))

    @admin.action(description=_("Make a new version from the selected one"))
    def new_version(self, request: HttpRequest, queryset: QuerySet[FormVersion]) -> None:
        for version in queryset:
            with transaction.atomic():
                last = version.form.versions.aggregate(m=Max("number"))["m"] or 0
                copy = FormVersion.objects.create(
                    form=version.form, number=last + 1, published=False, created_at=clock.now()
                )
                fields = list(version.fields.all())
                for field in fields:
                    field.pk = None
                    field.version = copy
                FormField.objects.bulk_create(fields)
                self.log_addition(request, copy, [{"added": {}}])
            messages.success(
                request, _("Version %(n)d made; publish it when ready.") % {"n": copy.number}
            )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview),
                name="eloket_formversion_preview",
            ),
            *super().get_urls(),
        ]

    def preview(self, request: HttpRequest, pk: int) -> HttpResponse:
        version = get_object_or_404(self.get_queryset(request), pk=pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Preview of %(version)s") % {"version": version},
            "version": version,
            "fields": list(version.fields.order_by("position")),
            "values": {},
            "errors": {},
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "eloket/admin_preview.html", context)
