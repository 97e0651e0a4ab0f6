"""GET /api/v1/opening-hours/ — per day, intervals with their channel, and closures with
their reason (public)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.api.errors import ErrorSerializer
from onthaal.core import clock
from onthaal.core.numbers import natural
from onthaal.hours import compute, selectors
from onthaal.hours.models import HoursChannel
from onthaal.organisation.models import Department, Location

MAX_DAYS = 366


def _by_id_or_slug(model: Any, value: str) -> Any:
    condition = Q(slug=value)
    pk = natural(value)
    if pk is not None:
        condition |= Q(pk=pk)
    return model.objects.filter(condition).first()


class OpeningHoursQuery(serializers.Serializer[Any]):
    location = serializers.CharField(max_length=100, help_text="Location id or slug.")
    department = serializers.CharField(
        max_length=100, required=False, help_text="Department id or slug."
    )
    channel = serializers.ChoiceField(choices=HoursChannel.choices, required=False)
    # "from" is a Python keyword: the field is declared under another name and renamed below.
    from_ = serializers.DateField(required=False, help_text="First day (default: today).")
    to = serializers.DateField(
        required=False, help_text="Last day, included (default: from + 6 days)."
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate_location(self, value: str) -> Location:
        place = _by_id_or_slug(Location, value)
        if place is None:
            raise serializers.ValidationError(_("Unknown location."))
        return place

    def validate_department(self, value: str) -> Department:
        department = _by_id_or_slug(Department, value)
        if department is None:
            raise serializers.ValidationError(_("Unknown department."))
        return department

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("from") or clock.today()
        end = attrs.get("to") or start + dt.timedelta(days=6)
        if end < start:
            raise serializers.ValidationError({"to": _("The end date lies before the start date.")})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"to": _("Ask at most %(n)d days at once.") % {"n": MAX_DAYS}}
            )
        department = attrs.get("department")
        if (
            department is not None
            and not department.locations.filter(pk=attrs["location"].pk).exists()
        ):
            raise serializers.ValidationError(
                {"department": _("This department does not receive visitors at this location.")}
            )
        attrs["from"], attrs["to"] = start, end
        return attrs


class IntervalOut(serializers.Serializer[Any]):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=HoursChannel.choices)


class DayOut(serializers.Serializer[Any]):
    date = serializers.DateField(source="day")
    closed = serializers.BooleanField()
    reason = serializers.CharField(help_text="Holiday name or the exception's reason.")
    holiday = serializers.CharField(help_text="Name of the public holiday, if any.")
    intervals = IntervalOut(many=True)


class OpeningHoursOut(serializers.Serializer[Any]):
    location = serializers.CharField()
    department = serializers.CharField(allow_null=True)
    timezone = serializers.CharField()
    days = DayOut(many=True)


class OpeningHours(APIView):
    """Opening hours of a location (optionally of one department and channel) per day."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("location", str, required=True, description="Location id or slug."),
            OpenApiParameter("department", str, description="Department id or slug."),
            OpenApiParameter("channel", str, enum=HoursChannel.values),
            OpenApiParameter("from", dt.date, description="First day (default: today)."),
            OpenApiParameter("to", dt.date, description="Last day, included (default: from + 6)."),
        ],
        responses={200: OpeningHoursOut, 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        query = OpeningHoursQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        channels = (params["channel"],) if params.get("channel") else compute.CHANNELS
        department = params.get("department")
        days = selectors.location_schedule(
            params["location"],
            params["from"],
            params["to"],
            department=department,
            channels=channels,
        )
        body = {
            "location": params["location"].slug,
            "department": department.slug if department else None,
            "timezone": "Europe/Brussels",
            "days": [
                {
                    "day": d.day,
                    "closed": d.closed,
                    "reason": d.reason,
                    "holiday": d.holiday,
                    "intervals": d.intervals,
                }
                for d in days
            ],
        }
        return Response(OpeningHoursOut(body).data)
