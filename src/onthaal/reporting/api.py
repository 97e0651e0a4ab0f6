"""The figures in the API: ``/api/v1/reports/...`` — staff with ``reporting.view`` only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.accounts import access
from onthaal.api.errors import ErrorSerializer
from onthaal.api.fields import IdField
from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.core.errors import DomainError
from onthaal.organisation.models import Department
from onthaal.reporting import advisor, erlang, exports, selectors
from onthaal.reporting.forms import MAX_DAYS, default_period
from onthaal.reporting.models import Channel


class ErlangCQuery(serializers.Serializer[Any]):
    arrivals_per_hour = serializers.FloatField(min_value=0, max_value=10_000)
    service_minutes = serializers.FloatField(min_value=0.1, max_value=480)
    target_wait_seconds = serializers.FloatField(min_value=0, max_value=86_400, default=900)
    target_share = serializers.FloatField(min_value=0.01, max_value=0.99, default=0.8)


class ErlangCOut(serializers.Serializer[Any]):
    desks = serializers.IntegerField(help_text="The fewest desks that reach the target.")
    service_level = serializers.FloatField(help_text="Share called within the target wait.")
    average_wait_seconds = serializers.FloatField()
    wait_probability = serializers.FloatField(help_text="Share of visitors who wait at all.")
    occupancy = serializers.FloatField(help_text="Share of the desks' time in service.")
    load = serializers.FloatField(help_text="Offered load in Erlangs (busy desks on average).")


def erlang_c_answer(params: dict[str, Any]) -> dict[str, Any]:
    demand = erlang.Demand(params["arrivals_per_hour"], params["service_minutes"])
    target = erlang.Target(params["target_wait_seconds"], params["target_share"])
    try:
        result = erlang.desks_needed(demand, target)
    except ValueError:
        message = _("More than %(n)d desks would be needed.") % {"n": erlang.MAX_DESKS}
        raise DomainError(
            message, code="too_many", fields={"arrivals_per_hour": [message]}
        ) from None
    return {
        "desks": result.desks,
        "service_level": round(result.service_level, 4),
        "average_wait_seconds": round(result.average_wait_seconds, 1),
        "wait_probability": round(result.wait_probability, 4),
        "occupancy": round(result.occupancy, 4),
        "load": round(demand.load, 3),
    }


class ErlangCView(APIView):
    """How many desks a demand needs for a service level (Erlang C): the what-if calculator."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("arrivals_per_hour", float, required=True),
            OpenApiParameter("service_minutes", float, required=True),
            OpenApiParameter("target_wait_seconds", float, description="Default 900."),
            OpenApiParameter("target_share", float, description="Default 0.8."),
        ],
        responses={200: ErlangCOut, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        access.require(request.user, "reporting.view", object_type="reporting.erlang")
        query = ErlangCQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(erlang_c_answer(query.validated_data))


class VisitsQuery(serializers.Serializer[Any]):
    from_ = serializers.DateField(help_text="First service day.")
    to = serializers.DateField(help_text="Last service day, included.")
    location = IdField(required=False)
    department = IdField(required=False)
    product = IdField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    by = serializers.ChoiceField(choices=selectors.BY_CHOICES, default="day")
    format = serializers.ChoiceField(choices=["json", "csv", "xlsx"], default="json")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end date lies before the start date.")})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"to": _("Choose a period of at most three years.")})
        return attrs


HISTOGRAM_SECONDS = (
    "Seconds, from the rollups' histograms: within the bucket of the exact nearest-rank "
    "percentile (under 60 s up to 20 minutes; see docs/reporting.md)."
)


class VisitRow(serializers.Serializer[Any]):
    key = serializers.CharField(
        help_text="The group: a date, an hour, a weekday (0 = Monday), an id or a channel."
    )
    name = serializers.CharField(help_text="The group in words (a product's name, a weekday).")
    visits = serializers.IntegerField()
    served = serializers.IntegerField()
    no_shows = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    wait_p50 = serializers.IntegerField(allow_null=True, help_text=HISTOGRAM_SECONDS)
    wait_p90 = serializers.IntegerField(allow_null=True, help_text=HISTOGRAM_SECONDS)
    service_p50 = serializers.IntegerField(allow_null=True, help_text=HISTOGRAM_SECONDS)


class VisitsOut(serializers.Serializer[Any]):
    by = serializers.CharField()
    rows = VisitRow(many=True)


def _only_json(view: APIView, request: Request, force: bool = False) -> tuple[Any, str]:
    """``format`` is this endpoint's own parameter (csv, xlsx), not DRF's renderer choice."""
    renderer = JSONRenderer()
    return renderer, renderer.media_type


class VisitsView(APIView):
    """Visits per hour, weekday, day, week, month, product, channel or department, with
    waiting and service percentiles; as JSON, CSV or XLSX. Every call is an audit event."""

    permission_classes = [IsAuthenticated]
    perform_content_negotiation = _only_json

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("location", int),
            OpenApiParameter("department", int),
            OpenApiParameter("product", int),
            OpenApiParameter("channel", str, enum=Channel.values),
            OpenApiParameter(
                "by", str, enum=list(selectors.BY_CHOICES), description="Default day."
            ),
            OpenApiParameter(
                "format", str, enum=["json", "csv", "xlsx"], description="Default json."
            ),
        ],
        responses={
            (200, "application/json"): VisitsOut,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, exports.XLSX_TYPE): OpenApiTypes.BINARY,
            400: ErrorSerializer,
            403: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response | HttpResponse:
        access.require(request.user, "reporting.view", object_type="reporting.visits")
        query = VisitsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        department = None
        if params.get("department"):
            department = Department.objects.filter(pk=params["department"]).first()
            if department is None:
                raise DomainError(
                    _("Unknown department."), fields={"department": [_("Unknown department.")]}
                )
        scope = selectors.scope_for(
            request.user,
            start=params["from"],
            end=params["to"],
            department=department,
            location_id=params.get("location"),
            product_id=params.get("product"),
            channel=params.get("channel"),
        )
        rows = exports.visit_rows(scope, params["by"])
        fmt = params["format"]
        record_event(
            action=Action.EXPORT if fmt != "json" else Action.VIEW,
            actor=request.user,
            object_type="reporting.visits",
            details={
                "from": scope.start.isoformat(),
                "to": scope.end.isoformat(),
                "by": params["by"],
                "format": fmt,
                "departments": list(scope.department_ids),
                "rows": len(rows),
            },
        )
        name = f"bezoeken-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}-{params['by']}"
        if fmt == "csv":
            response = HttpResponse(exports.as_csv(rows), content_type="text/csv; charset=utf-8")
        elif fmt == "xlsx":
            response = HttpResponse(exports.as_xlsx(rows), content_type=exports.XLSX_TYPE)
        else:
            # Through the documented serializer: a weekday or an hour is a key like any other.
            return Response(VisitsOut({"by": params["by"], "rows": rows}).data)
        response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
        return response


class AdviceQuery(serializers.Serializer[Any]):
    location = IdField(required=False)
    department = IdField(required=False)
    from_ = serializers.DateField(required=False, help_text="Default: 13 weeks before `to`.")
    to = serializers.DateField(required=False, help_text="Default: yesterday.")
    target_wait_seconds = serializers.IntegerField(min_value=0, max_value=86_400, default=900)
    target_share = serializers.FloatField(min_value=0.01, max_value=0.99, default=0.8)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["to"] = attrs.get("to") or default_period()[1]
        attrs["from"] = attrs.get("from") or attrs["to"] - dt.timedelta(weeks=13)
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end date lies before the start date.")})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"to": _("Choose a period of at most three years.")})
        return attrs


class AdviceHour(serializers.Serializer[Any]):
    weekday = serializers.IntegerField(help_text="0 = Monday.")
    hour = serializers.IntegerField(help_text="Local hour (Europe/Brussels).")
    arrivals_per_hour = serializers.FloatField()
    service_minutes = serializers.FloatField(allow_null=True)
    desks_needed = serializers.IntegerField()
    planned_desks = serializers.IntegerField()
    open = serializers.BooleanField()
    service_level = serializers.FloatField(help_text="With the desks needed.")


class AdviceSuggestion(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["short", "closed_demand", "quick", "quiet", "spare"])
    text = serializers.CharField()


class AdvicePlace(serializers.Serializer[Any]):
    location = serializers.IntegerField()
    department = serializers.IntegerField()
    hours = AdviceHour(many=True)
    suggestions = AdviceSuggestion(many=True)


class AdviceView(APIView):
    """Arrivals, service time, desks needed (Erlang C) and planned per weekday and hour, and
    suggestions in words, per location and department."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("location", int),
            OpenApiParameter("department", int),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
            OpenApiParameter("target_wait_seconds", int, description="Default 900."),
            OpenApiParameter("target_share", float, description="Default 0.8."),
        ],
        responses={200: AdvicePlace(many=True), 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        access.require(request.user, "reporting.view", object_type="reporting.advice")
        query = AdviceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        department = None
        if params.get("department"):
            department = Department.objects.filter(pk=params["department"]).first()
            if department is None:
                raise DomainError(
                    _("Unknown department."), fields={"department": [_("Unknown department.")]}
                )
        scope = selectors.scope_for(
            request.user,
            start=params["from"],
            end=params["to"],
            department=department,
            location_id=params.get("location"),
        )
        target = erlang.Target(params["target_wait_seconds"], params["target_share"])
        places = advisor.advise(scope, target)
        record_event(
            action=Action.VIEW,
            actor=request.user,
            object_type="reporting.advice",
            details={
                "from": scope.start.isoformat(),
                "to": scope.end.isoformat(),
                "departments": list(scope.department_ids),
            },
        )
        return Response(
            [
                {
                    "location": place.location.pk,
                    "department": place.department.pk,
                    "hours": [
                        {
                            "weekday": need.cell.weekday,
                            "hour": need.cell.hour,
                            "arrivals_per_hour": need.cell.arrivals_per_hour,
                            "service_minutes": need.cell.service_minutes,
                            "desks_needed": need.desks_needed,
                            "planned_desks": need.cell.planned_desks,
                            "open": need.cell.open,
                            "service_level": round(need.service_level, 4),
                        }
                        for need in place.needs
                    ],
                    "suggestions": [
                        {"kind": s.kind, "text": text}
                        for s, text in zip(place.suggestions, place.texts, strict=True)
                    ],
                }
                for place in places
            ]
        )
