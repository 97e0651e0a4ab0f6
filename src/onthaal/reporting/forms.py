"""The dashboard's filters (GET): period, location, department, product, channel, and a second
period to compare with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.numbers import natural
from onthaal.organisation.models import Department, Location
from onthaal.reporting.models import Channel

MAX_DAYS = 3 * 366


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 13 full weeks (Monday to Sunday) before today."""
    today = today or clock.today()
    end = today - dt.timedelta(days=today.weekday() + 1)
    return end - dt.timedelta(weeks=13) + dt.timedelta(days=1), end


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReportFilter(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    location = forms.ModelChoiceField(
        label=_("Location"),
        queryset=Location.objects.all(),
        required=False,
        empty_label=_("All locations"),
    )
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("All my departments"),
    )
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        empty_label=_("All products"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Channel.choices],
    )
    compare_start = forms.DateField(label=_("Compare from"), required=False, widget=DateInput())
    compare_end = forms.DateField(label=_("Compare to"), required=False, widget=DateInput())

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [d.pk for d in departments]
        self.fields["department"].queryset = Department.objects.filter(pk__in=ids)  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.filter(department_id__in=ids)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = default_period()
        data["start"] = data.get("start") or start
        data["end"] = data.get("end") or end
        for first, last in (("start", "end"), ("compare_start", "compare_end")):
            a, b = data.get(first), data.get(last)
            if a and b and b < a:
                self.add_error(last, _("The end date lies before the start date."))
            elif a and b and (b - a).days >= MAX_DAYS:
                self.add_error(last, _("Choose a period of at most three years."))
        if bool(data.get("compare_start")) != bool(data.get("compare_end")):
            self.add_error("compare_end", _("Give both dates of the period to compare with."))
        return data


class WhatIfForm(forms.Form):
    """The what-if calculator: demand per day and opening hours, or per hour directly."""

    arrivals_per_day = forms.FloatField(
        label=_("Visitors per day"), min_value=0, max_value=100_000, required=False
    )
    open_hours = forms.FloatField(
        label=_("Open hours per day"),
        min_value=0.5,
        max_value=24,
        required=False,
        help_text=_("Fewer hours: the same visitors in less time."),
    )
    arrivals_per_hour = forms.FloatField(
        label=_("Or: visitors per hour"), min_value=0, max_value=10_000, required=False
    )
    service_minutes = forms.FloatField(
        label=_("Mean service time (minutes)"), min_value=0.1, max_value=480
    )
    desks = forms.IntegerField(label=_("Desks open"), min_value=1, max_value=500, required=False)
    target_minutes = forms.FloatField(
        label=_("Target wait (minutes)"), min_value=0, max_value=600, initial=15
    )
    target_percent = forms.FloatField(
        label=_("Share called within the target (%)"), min_value=1, max_value=99, initial=80
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        per_hour = data.get("arrivals_per_hour")
        per_day, hours = data.get("arrivals_per_day"), data.get("open_hours")
        if per_hour is None:
            if per_day is None or not hours:
                self.add_error(
                    "arrivals_per_hour",
                    _("Give the visitors per hour, or the visitors per day and the open hours."),
                )
            else:
                data["arrivals_per_hour"] = per_day / hours
        return data


class PhoneContactForm(forms.Form):
    """Reception registers a phone call: for which department (and product), how long. Nothing
    about the caller."""

    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        required=False,
        help_text=_("Optional: what the call was about."),
    )
    minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=1,
        max_value=240,
        required=False,
        help_text=_("Optional: how long the call took."),
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = departments
        product = self.fields["product"]
        assert isinstance(product, forms.ModelChoiceField)
        product.queryset = Product.objects.filter(department__in=departments).order_by("slug")

    def _ascii(self, name: str) -> Any:
        """The cleaned value, when the posted text was ASCII digits: ``int()`` also reads
        full-width digits, which no form of Onthaal takes (``core.numbers``)."""
        raw = self.data.get(name, "")
        if raw not in ("", None) and natural(raw) is None:
            # Django's own message (its catalogue translates it).
            raise forms.ValidationError(
                forms.IntegerField.default_error_messages["invalid"], code="invalid"
            )
        return self.cleaned_data.get(name)

    def clean_department(self) -> Any:
        return self._ascii("department")

    def clean_product(self) -> Any:
        return self._ascii("product")

    def clean_minutes(self) -> Any:
        return self._ascii("minutes")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        product, department = data.get("product"), data.get("department")
        if (
            product is not None
            and department is not None
            and product.department_id != department.pk
        ):
            self.add_error("product", _("This product is not one of this department's."))
        return data
