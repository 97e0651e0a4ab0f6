"""Appointments in the API (public contract): availability, booking, and managing a booking
by its reference and token. Times are ISO 8601 with their offset."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.accounts import access
from onthaal.api.errors import ErrorSerializer, error_body
from onthaal.api.fields import AwareDateTimeField
from onthaal.appointments import full_times, limits, notify, proof, services
from onthaal.appointments.models import Appointment, BookingChannel, Status
from onthaal.catalogue.models import Product
from onthaal.core import client, clock
from onthaal.core.errors import AccessDenied, Conflict, DomainError, NotFound
from onthaal.core.numbers import natural
from onthaal.organisation.models import Location

MAX_PRODUCTS = 5


def _location(value: str) -> Location | None:
    pk = natural(value)
    if pk is not None:
        return Location.objects.filter(pk=pk).first()
    return Location.objects.filter(slug=value).first()


def _products(values: list[str]) -> list[Product]:
    found = []
    for value in values:
        pk = natural(value)
        products = Product.objects.select_related("department")  # the booking's department
        product = (
            products.filter(pk=pk).first()
            if pk is not None
            else products.filter(slug=value).first()
        )
        if product is None:
            raise DomainError(_("Unknown product."), fields={"product": [_("Unknown product.")]})
        found.append(product)
    return found


class AvailabilityQuery(serializers.Serializer[Any]):
    product = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=MAX_PRODUCTS,
        help_text="Product id or slug; repeat for several products.",
    )
    location = serializers.CharField(max_length=100, help_text="Location id or slug.")
    persons = serializers.IntegerField(min_value=1, max_value=services.MAX_PERSONS, default=1)
    from_ = serializers.DateField(required=False, help_text="First day (default: today).")
    to = serializers.DateField(required=False, help_text="Last day (default: from + 13 days).")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


SlotSerializer = inline_serializer(
    name="Slot",
    fields={"start": serializers.DateTimeField(), "end": serializers.DateTimeField()},
    many=True,
)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(clock.BRUSSELS).isoformat()


class AvailabilityView(APIView):
    """Free slots for products at a location (public)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[AvailabilityQuery],
        responses={
            200: inline_serializer(
                name="Availability",
                fields={"duration_minutes": serializers.IntegerField(), "slots": SlotSerializer},
            ),
            400: ErrorSerializer,
        },
    )
    def get(self, request: Request) -> Response:
        query = AvailabilityQuery(
            data={**request.query_params.dict(), "product": request.query_params.getlist("product")}
        )
        query.is_valid(raise_exception=True)
        values = query.validated_data
        booking = services.build_request(
            location=_location(values["location"]),
            products=_products(values["product"]),
            persons=values["persons"],
        )
        first = values.get("from") or clock.today()
        last = values.get("to") or first + dt.timedelta(days=13)
        found = services.availability(booking, first, last)
        return Response(
            {
                "duration_minutes": int(booking.duration.total_seconds() // 60),
                "slots": [{"start": _iso(s.start), "end": _iso(s.end)} for s in found],
            }
        )


class BookingCreate(serializers.Serializer[Any]):
    product = serializers.ListField(
        child=serializers.CharField(max_length=100), min_length=1, max_length=MAX_PRODUCTS
    )
    location = serializers.CharField(max_length=100)
    persons = serializers.IntegerField(min_value=1, max_value=services.MAX_PERSONS, default=1)
    start = AwareDateTimeField(help_text="ISO 8601 with offset.")
    name = serializers.CharField(max_length=200)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    altcha = serializers.CharField(
        max_length=proof.MAX_PAYLOAD,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Proof of work, required unless authenticated as staff who book for callers "
            "(reception, desk, social worker, team lead): a challenge from "
            "GET /api/v1/appointments/challenge/, solved, as base64 of the JSON "
            "{algorithm, challenge, number, salt, signature}. Good for one booking."
        ),
    )


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    location = serializers.CharField(source="location.name")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = ["reference", "status", "location", "start", "end", "persons", "products"]
        read_only_fields = fields

    def get_start(self, obj: Appointment) -> str:
        return _iso(obj.start)

    def get_end(self, obj: Appointment) -> str:
        return _iso(obj.end)

    def get_products(self, obj: Appointment) -> list[str]:
        return [i.product.name for i in obj.items.select_related("product")]


def manage_url(request: Request | Any, appointment: Appointment, token: str) -> str:
    path = reverse("appointments:manage", args=[appointment.reference]) + f"?token={token}"
    return request.build_absolute_uri(path)


def _conflict_with_next(error: Conflict, booking: services.Request, start: dt.datetime) -> Response:
    """409 at once, with where to find other times: ``next_slots_url``, the availability of
    that day and the fortnight after it, for the client to ask when it wants alternatives.
    Computing them here made every loser of a booking rush pay a day's slot computation
    (200 citizens on 20 places: p95 5.8-13 s; ``bench/bench_rush.py``)."""
    return _conflict(
        error,
        location=booking.location.slug,
        products=[p.slug for p in booking.products],
        persons=booking.persons,
        start=start,
    )


def _conflict(
    error: Conflict, *, location: str, products: list[str], persons: int, start: dt.datetime
) -> Response:
    body = error_body(
        error.code,
        error.message,
        {k: [{"code": error.code, "message": str(m)} for m in v] for k, v in error.fields.items()},
    )
    day = start.astimezone(clock.BRUSSELS).date()
    query = urlencode(
        {
            "product": products,
            "location": location,
            "persons": persons,
            "from": day.isoformat(),
            "to": (day + dt.timedelta(days=13)).isoformat(),
        },
        doseq=True,
    )
    body["next_slots_url"] = f"{reverse('api-availability')}?{query}"
    return Response(body, status=409)


class ChallengeView(APIView):
    """A proof-of-work challenge (ALTCHA, public) for an anonymous booking: find the number
    ``n`` (0 ≤ n ≤ ``maxNumber``) for which SHA-256(``salt`` + n) is ``challenge``, and send
    base64(JSON {algorithm, challenge, number, salt, signature}) as the booking's ``altcha``.
    It expires after 10 minutes."""

    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: inline_serializer(
                name="Challenge",
                fields={
                    "algorithm": serializers.CharField(),
                    "challenge": serializers.CharField(),
                    "maxNumber": serializers.IntegerField(),
                    "salt": serializers.CharField(),
                    "signature": serializers.CharField(),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response(proof.challenge(), headers={"Cache-Control": "no-store"})


class AppointmentCreateView(APIView):
    """Book an appointment (public). 201 with the reference and the manage link; 409 with
    ``next_slots_url``, where to ask for other times, when the time is gone (at once: a time
    every desk has is refused by the cache, without computing anything); 400 with field
    errors. An ``Idempotency-Key``
    header makes a repeated request return the first booking. Unless the caller is staff who
    book for callers (``appointments.book``), the request needs a solved proof of work in
    ``altcha`` (see the challenge) and counts in the per-address and per-contact limits."""

    permission_classes = [AllowAny]

    @extend_schema(
        request=BookingCreate,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={
            201: inline_serializer(
                name="Booked",
                fields={
                    "appointment": AppointmentSerializer(),
                    "manage_url": serializers.URLField(),
                },
            ),
            200: AppointmentSerializer,
            400: ErrorSerializer,
            409: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        data = BookingCreate(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        key = request.headers.get("Idempotency-Key", "")[:64] or None
        raw = (values["location"], values["product"], values["persons"])
        # What this request resolved to lately in this process; else resolve it now, so that
        # an unknown product or location is a field error before the proof is asked for.
        known = full_times.known(*raw)
        booking = None if known is not None else self._resolve(values, raw)
        # Staff who book for callers are trusted; anyone else (a citizen, or a token of a role
        # that does not book, such as an auditor's) pays the proof and counts in the limits.
        staff = access.can(request.user, "appointments.book")
        if not staff:
            proof.require(values["altcha"], idempotency_key=key)
            limits.check(ip=client.address(request), contact=values["email"] or values["phone"])
        if known is not None and key is None and full_times.known_full(known, values["start"]):
            # A booking rush on a time every desk has: refused by one cache round trip, after
            # the proof and the limits (a refusal costs a prober what a booking costs), before
            # any query. A repeated request (Idempotency-Key) goes the long way: it may be
            # the one that booked the time.
            return _conflict(
                services.taken(),
                location=known.location_slug,
                products=list(known.product_slugs),
                persons=known.persons,
                start=values["start"],
            )
        if booking is None:
            booking = self._resolve(values, raw)
        try:
            appointment, token = services.book(
                request=booking,
                start=values["start"],
                name=values["name"],
                email=values["email"],
                phone=values["phone"],
                actor=request.user if staff else None,
                channel=BookingChannel.ONLINE,
                idempotency_key=key,
            )
        except Conflict as error:
            if error.code != "slot_taken":
                raise
            return _conflict_with_next(error, booking, values["start"])
        if token is None:  # the same request again: the first booking, without its secret
            return Response(AppointmentSerializer(appointment).data, status=200)
        notify.confirmation(appointment, manage_url(request, appointment, token))
        return Response(
            {
                "appointment": AppointmentSerializer(appointment).data,
                "manage_url": manage_url(request, appointment, token),
            },
            status=201,
        )

    @staticmethod
    def _resolve(values: dict[str, Any], raw: tuple[str, list[str], int]) -> services.Request:
        """The request's location and products from the database, checked; what they
        resolved to is kept in the process for a quick refusal of the same request later."""
        booking = services.build_request(
            location=_location(values["location"]),
            products=_products(values["product"]),
            persons=values["persons"],
        )
        full_times.remember(*raw, services.known_of(booking))
        return booking


class TokenQuery(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=100)


class Reschedule(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=100)
    start = AwareDateTimeField(help_text="ISO 8601 with offset.")


def _by_token(request: Request, reference: str, body: bool = False) -> Appointment:
    source: Any = request.data if body else request.query_params
    token = source.get("token", "") if hasattr(source, "get") else ""
    query = TokenQuery(data={"token": token})
    query.is_valid(raise_exception=True)
    return services.by_token(reference, query.validated_data["token"])


class AppointmentDetailView(APIView):
    """Read an appointment with its manage token (public)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={200: AppointmentSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
    )
    def get(self, request: Request, reference: str) -> Response:
        appointment = _by_token(request, reference)
        return Response(AppointmentSerializer(appointment).data)


class CancelBody(serializers.Serializer[Any]):
    token = serializers.CharField(
        max_length=100,
        required=False,
        help_text=(
            "The citizen's manage token. Staff who book for callers (authenticated) leave it "
            "out: they may cancel the appointments of the departments they book for."
        ),
    )


class StaffMove(serializers.Serializer[Any]):
    start = AwareDateTimeField(help_text="The new time: ISO 8601 with offset.")


def _for_staff(request: Request, reference: str) -> Appointment:
    """The appointment ``reference`` for a staff member who books for callers in its
    department (``appointments.book``), as reception moves and cancels it in the pages.
    Without that capability anywhere: 403. With it, but not for the appointment's department
    (an OCMW social-service appointment, for municipality staff): 404, as for an unknown
    reference, so nothing tells that it exists. Both refusals are audited."""
    reference = (reference or "").upper()[:12]
    access.require(
        request.user,
        "appointments.book",
        object_type="appointments.appointment",
        object_id=reference,
    )
    found = (
        Appointment.objects.select_related("location", "department", "desk")
        .filter(reference=reference)
        .exclude(status=Status.HELD)
        .first()
    )
    missing = NotFound(_("There is no appointment with this reference."))
    if found is None:
        raise missing
    try:
        access.require(
            request.user,
            "appointments.book",
            found.department,
            object_type="appointments.appointment",
            object_id=str(found.pk),
        )
    except AccessDenied:
        raise missing from None
    return found


class AppointmentCancelView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=CancelBody,
        responses={
            200: AppointmentSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        """Cancel an appointment: the citizen with its manage token, or staff who book for
        callers without a token (for the departments they book for; audited as them). The
        citizen is told by their contact channel, if they gave one."""
        source: Any = request.data
        token = source.get("token") if hasattr(source, "get") else None
        if not token and request.user.is_authenticated:
            appointment = services.cancel(
                appointment=_for_staff(request, reference), actor=request.user
            )
        else:
            appointment = services.cancel(appointment=_by_token(request, reference, body=True))
        notify.cancellation(appointment)
        return Response(AppointmentSerializer(appointment).data)


class AppointmentMoveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=StaffMove,
        responses={
            200: AppointmentSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        """Move an appointment for a caller (staff who book for callers, for the departments
        they book for; audited as them). It keeps its reference and the citizen's manage link;
        the citizen gets the new time with that link, if they gave a contact. 409 with
        ``next_slots_url`` when the time is taken."""
        appointment = _for_staff(request, reference)
        body = StaffMove(data=request.data)
        body.is_valid(raise_exception=True)
        sequence = appointment.sequence
        start = body.validated_data["start"]
        try:
            moved = services.reschedule(appointment=appointment, start=start, actor=request.user)
        except Conflict as error:
            if error.code != "slot_taken":
                raise
            return _conflict_with_next(error, services.request_of(appointment), start)
        if moved.sequence != sequence:  # not the same time again
            token = services.token_of(moved)
            notify.change(moved, manage_url(request, moved, token) if token else "")
        return Response(AppointmentSerializer(moved).data)


class AppointmentRescheduleView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        request=Reschedule,
        responses={
            200: AppointmentSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, reference: str) -> Response:
        """Move an appointment to another free time. It keeps its reference and its manage
        link; its calendar entry (UID: the reference) gets a higher SEQUENCE."""
        body = Reschedule(data=request.data)
        body.is_valid(raise_exception=True)
        token = body.validated_data["token"]
        appointment = services.by_token(reference, token)
        sequence = appointment.sequence
        try:
            moved = services.reschedule(appointment=appointment, start=body.validated_data["start"])
        except Conflict as error:
            if error.code != "slot_taken":
                raise
            return _conflict_with_next(
                error, services.request_of(appointment), body.validated_data["start"]
            )
        if moved.sequence != sequence:  # not the same time again
            notify.change(moved, manage_url(request, moved, token))
        return Response(AppointmentSerializer(moved).data)
