"""Staff planning API (team leads and administrators, the ``staffing.plan`` capability):

GET  /api/v1/staffing/coverage/?location=&from=&to=  per day, hour and department: needed,
     planned and gap.
POST /api/v1/staffing/absences/ (user, start, end, kind) -> 201; availability follows at once,
     and a sickness moves or notifies the appointments it touches.
POST /api/v1/staffing/rosters/propose/ (location, week[, department]) -> the draft rosters
     of the lead's departments (or the one named) and their unmet constraints.
POST /api/v1/staffing/rosters/publish/ (location, week[, department]) -> the rosters
     published; the other departments' rosters are not touched.

Rosters are per department: a lead proposes and publishes those of their own departments; a
department of someone else is refused (403, audited).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.accounts import access
from onthaal.api.errors import ErrorSerializer
from onthaal.api.fields import AwareDateTimeField
from onthaal.core.errors import NotFound
from onthaal.core.numbers import natural
from onthaal.organisation.models import Location
from onthaal.staffing import proposal, selectors, services
from onthaal.staffing.models import AbsenceKind, Roster, RosterAssignment

MAX_DAYS = 31


def _location(value: str) -> Location:
    condition = Q(slug=value)
    pk = natural(value)
    if pk is not None:
        condition |= Q(pk=pk)
    found = Location.objects.filter(condition).first()
    if found is None:
        raise serializers.ValidationError(_("Unknown location."))
    return found


class CoverageQuery(serializers.Serializer[Any]):
    location = serializers.CharField(max_length=100, help_text="Location id or slug.")
    from_ = serializers.DateField(help_text="First day.")
    to = serializers.DateField(help_text="Last day, included (at most 31 days).")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate_location(self, value: str) -> Location:
        return _location(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": _("The end date lies before the start date.")})
        if (attrs["to"] - attrs["from"]).days >= MAX_DAYS:
            raise serializers.ValidationError(
                {"to": _("Ask at most %(n)d days at once.") % {"n": MAX_DAYS}}
            )
        return attrs


class CoverageCell(serializers.Serializer[Any]):
    day = serializers.DateField()
    hour = serializers.IntegerField(help_text="Local hour (Europe/Brussels), 7-20.")
    department = serializers.IntegerField()
    needed = serializers.IntegerField()
    planned = serializers.IntegerField()
    gap = serializers.IntegerField(help_text="needed - planned; negative: a surplus.")


class CoverageOut(serializers.Serializer[Any]):
    location = serializers.CharField()
    needed_from = serializers.ChoiceField(
        choices=["advice", "hours"], help_text="Where 'needed' comes from."
    )
    rostered_days = serializers.ListField(child=serializers.DateField())
    cells = CoverageCell(many=True)


class CoverageView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="staffing_coverage",
        parameters=[
            OpenApiParameter("location", str, required=True),
            OpenApiParameter("from", dt.date, required=True),
            OpenApiParameter("to", dt.date, required=True),
        ],
        responses={200: CoverageOut, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        access.require(request.user, "staffing.plan", object_type="staffing.coverage")
        query = CoverageQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        own = selectors.own_departments(request.user, data["location"], "staffing.coverage")
        board = selectors.board(data["location"], data["from"], data["to"], department_ids=own)
        return Response(
            {
                "location": board.location.slug,
                "needed_from": board.source,
                "rostered_days": sorted(board.rostered),
                "cells": [
                    {
                        "day": c.day,
                        "hour": c.hour,
                        "department": c.department,
                        "needed": c.needed,
                        "planned": c.planned,
                        "gap": c.gap,
                    }
                    for c in board.cells
                ],
            }
        )


class AbsenceIn(serializers.Serializer[Any]):
    user = serializers.CharField(max_length=150, help_text="User name or id of the staff member.")
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    kind = serializers.ChoiceField(choices=AbsenceKind.choices)
    note = serializers.CharField(max_length=200, required=False, default="")

    def validate_user(self, value: str) -> Any:
        condition = Q(username=value)
        pk = natural(value)
        if pk is not None:
            condition |= Q(pk=pk)
        found = get_user_model().objects.filter(condition, staff_profile__isnull=False).first()
        if found is None:
            raise serializers.ValidationError(_("This person has no staff profile."))
        return found


class AbsenceOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    moved = serializers.ListField(
        child=serializers.CharField(), help_text="References moved to a colleague."
    )
    notified = serializers.ListField(
        child=serializers.CharField(),
        help_text="References whose citizens were asked to pick another time.",
    )


class AbsenceView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="staffing_absence_create",
        request=AbsenceIn,
        responses={201: AbsenceOut, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        access.require(request.user, "staffing.plan", object_type="staffing.absence")
        data = AbsenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        selectors.require_person(
            request.user, values["user"], "staffing.absence", str(values["user"].pk)
        )
        result = services.register_absence(
            actor=request.user,
            user=values["user"],
            kind=values["kind"],
            start=values["start"],
            end=values["end"],
            note=values["note"],
            site=request.build_absolute_uri("/").rstrip("/"),
        )
        absence = result.absence
        return Response(
            {
                "id": absence.pk,
                "user": values["user"].get_username(),
                "kind": absence.kind,
                "start": absence.start,
                "end": absence.end,
                "moved": [a.reference for a in result.moved],
                "notified": [a.reference for a in result.notified],
            },
            status=201,
        )


class RosterQuery(serializers.Serializer[Any]):
    location = serializers.CharField(max_length=100, help_text="Location id or slug.")
    week = serializers.DateField(help_text="A day of the week (its Monday is used).")
    department = serializers.CharField(
        max_length=100,
        required=False,
        help_text="Department id or slug; default: every department the caller plans here.",
    )

    def validate_location(self, value: str) -> Location:
        return _location(value)


def _departments(request: Request, values: dict[str, Any]) -> list[int]:
    """The departments asked for: the caller's own at the location, or the one named when it
    is one of them (else 403, audited)."""
    own = selectors.own_departments(request.user, values["location"], "staffing.roster")
    if "department" not in values:
        return own
    found = selectors.require_department(
        request.user, values["location"], values["department"], own, "staffing.roster"
    )
    return [found.pk]


class RosterOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    department = serializers.IntegerField()
    status = serializers.CharField()


class Unmet(serializers.Serializer[Any]):
    day = serializers.DateField()
    shift = serializers.CharField()
    department = serializers.IntegerField(required=False)
    person = serializers.IntegerField(required=False)
    missing = serializers.IntegerField()
    reason = serializers.CharField(required=False)


class AssignmentOut(serializers.Serializer[Any]):
    user = serializers.CharField()
    day = serializers.DateField()
    start = serializers.CharField(help_text="Local wall-clock time (Europe/Brussels), HH:MM.")
    end = serializers.CharField(help_text="Local wall-clock time (Europe/Brussels), HH:MM.")
    place = serializers.CharField()
    desk = serializers.IntegerField(allow_null=True)
    department = serializers.IntegerField(allow_null=True)


class ProposeOut(serializers.Serializer[Any]):
    week = serializers.DateField()
    rosters = RosterOut(many=True, help_text="The draft rosters written, one per department.")
    skipped = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Departments whose roster is published already: left as it is.",
    )
    solver = serializers.CharField(help_text="OPTIMAL or FEASIBLE.")
    seconds = serializers.FloatField()
    wishes = serializers.IntegerField()
    wishes_honoured = serializers.IntegerField()
    unmet = Unmet(many=True)
    assignments = AssignmentOut(many=True)


class ProposeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="staffing_roster_propose",
        request=RosterQuery,
        responses={
            200: ProposeOut,
            400: ErrorSerializer,
            403: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        access.require(request.user, "staffing.plan", object_type="staffing.roster")
        data = RosterQuery(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        departments = _departments(request, values)
        result = proposal.propose(
            actor=request.user,
            location=values["location"],
            week=values["week"],
            departments=departments,
        )
        rows = (
            RosterAssignment.objects.filter(roster__in=result.rosters)
            .select_related("user")
            .order_by("day", "start", "user_id")
        )
        return Response(
            {
                "week": result.rosters[0].week,
                "rosters": [
                    {"id": r.pk, "department": r.department_id, "status": r.status}
                    for r in result.rosters
                ],
                "skipped": [d.pk for d in result.skipped],
                "solver": result.proposal.status,
                "seconds": round(result.seconds, 3),
                "wishes": result.proposal.wishes,
                "wishes_honoured": result.proposal.wishes_honoured,
                "unmet": result.unmet,
                "assignments": [
                    {
                        "user": r.user.get_username(),
                        "day": r.day,
                        "start": r.start.strftime("%H:%M"),
                        "end": r.end.strftime("%H:%M"),
                        "place": r.place,
                        "desk": r.desk_id,
                        "department": r.department_id,
                    }
                    for r in rows
                ],
            }
        )


class PublishOut(serializers.Serializer[Any]):
    week = serializers.DateField()
    published = RosterOut(many=True, help_text="The rosters published now.")


class PublishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="staffing_roster_publish",
        request=RosterQuery,
        responses={
            200: PublishOut,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        """Publish the draft rosters of the week: of the department named, or of every
        department the caller plans at the location. 409 when they are all published."""
        access.require(request.user, "staffing.plan", object_type="staffing.roster")
        data = RosterQuery(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        departments = _departments(request, values)
        week = values["week"] - dt.timedelta(days=values["week"].weekday())
        rosters = list(
            Roster.objects.filter(
                location=values["location"], week=week, department__in=departments
            )
        )
        if not rosters:
            raise NotFound(_("No roster for this week yet."))
        published = services.rosters_publish(actor=request.user, rosters=rosters)
        return Response(
            {
                "week": week,
                "published": [
                    {"id": r.pk, "department": r.department_id, "status": r.status}
                    for r in published
                ],
            }
        )
