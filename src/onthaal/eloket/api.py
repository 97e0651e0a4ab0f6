"""The e-loket in the API (public contract): the products, a product's form as a JSON
schema, filing a request (JSON, or multipart when files are attached), reading it with its
status token; for staff, the requests of their departments and a request's transition."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.api.errors import ErrorSerializer
from onthaal.api.fields import IdField
from onthaal.api.parsers import depth
from onthaal.appointments import proof
from onthaal.catalogue.models import Product
from onthaal.core import client, clock
from onthaal.core.errors import DomainError, NotFound
from onthaal.core.numbers import natural
from onthaal.eloket import formspec, ogm, selectors, services
from onthaal.eloket.models import ProductSettings, Request, Status


class EloketProductSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="product.pk")
    slug = serializers.CharField(source="product.slug")
    name = serializers.CharField(source="product.name")
    description = serializers.CharField(source="product.description")
    department = serializers.CharField(source="product.department.name")
    price = serializers.DecimalField(max_digits=8, decimal_places=2)
    delivery = serializers.CharField()
    lead_days = serializers.IntegerField()
    bring = serializers.ListField(child=serializers.CharField(), source="bring_list")
    needs_national_number = serializers.BooleanField()
    strong_login = serializers.BooleanField()


def _offers() -> Any:
    return (
        ProductSettings.objects.filter(active=True, product__active=True)
        .filter(product__eloket_form__versions__published=True)
        .select_related("product", "product__department")
        .distinct()
        .order_by("product__name_nl")
    )


class ProductListView(APIView):
    """The products that can be requested on the e-loket (public)."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: EloketProductSerializer(many=True)})
    def get(self, request: ApiRequest) -> Response:
        return Response(EloketProductSerializer(_offers(), many=True).data)


def _product(value: str) -> Product:
    pk = natural(value)
    offer = (
        _offers().filter(product__pk=pk).first()
        if pk is not None
        else _offers().filter(product__slug=value[:100]).first()
    )
    if offer is None:
        raise NotFound(_("This product cannot be requested on the e-loket."))
    return offer.product


class ProductFormView(APIView):
    """The product's current form as a JSON Schema (draft 2020-12): one property per field
    (``x-kind`` names the field's kind; ``x-show-when`` a condition on another field; a
    ``file`` field is sent as a multipart part of that name), and ``x-form-version``."""

    permission_classes = [AllowAny]

    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: ErrorSerializer})
    def get(self, request: ApiRequest, id: str) -> Response:
        product = _product(id)
        version = services.current_version(product)
        fields = {f.key: f for f in version.fields.all()}
        schema = formspec.json_schema(
            services.field_specs(version), product.name, lambda spec: fields[spec.key].help
        )
        schema["x-form-version"] = version.number
        return Response(schema)


class RequestCreate(serializers.Serializer[Any]):
    product = serializers.CharField(max_length=100, help_text="Product id or slug.")
    answers = serializers.JSONField(
        help_text="The answers, field key -> value (see the product's form). In multipart: "
        "a JSON text; each file is a part named by its field's key."
    )
    email = serializers.CharField(max_length=254)
    altcha = serializers.CharField(
        max_length=proof.MAX_PAYLOAD,
        required=False,
        allow_blank=True,
        default="",
        help_text="Proof of work: a challenge from GET /api/v1/appointments/challenge/, "
        "solved, as base64 of the JSON {algorithm, challenge, number, salt, signature}.",
    )


class StatusSerializer(serializers.Serializer[Request]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    product = serializers.CharField(source="product.name")
    submitted_at = serializers.SerializerMethodField()
    due_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=8, decimal_places=2)
    paid = serializers.DecimalField(max_digits=10, decimal_places=2)
    structured_communication = serializers.SerializerMethodField()
    messages = serializers.SerializerMethodField()

    def get_submitted_at(self, obj: Request) -> str:
        return obj.submitted_at.astimezone(clock.BRUSSELS).isoformat()

    def get_structured_communication(self, obj: Request) -> str:
        return ogm.display(obj.communication)

    @extend_schema_field(
        inline_serializer(
            name="RequestMessage",
            fields={
                "from_citizen": serializers.BooleanField(),
                "body": serializers.CharField(),
                "at": serializers.DateTimeField(),
            },
            many=True,
        )
    )
    def get_messages(self, obj: Request) -> list[dict[str, Any]]:
        return [
            {
                "from_citizen": m.direction == "in",
                "body": m.body,
                "at": m.created_at.astimezone(clock.BRUSSELS).isoformat(),
            }
            for m in obj.messages.order_by("created_at", "pk")
        ]


def status_url(request: ApiRequest, filed: Request) -> str:
    return request.build_absolute_uri(services.status_url(filed))


def _answers(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # multipart: the answers as a JSON text
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or depth(value) > 2:
        message = _("Give the answers as an object: field key -> value.")
        raise DomainError(message, fields={"answers": [message]})
    return value


class StaffRequestSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    product = serializers.CharField(source="product.name")
    department = serializers.IntegerField(source="department.pk")
    register_number = serializers.CharField()
    due_on = serializers.DateField()
    assignee = serializers.CharField(source="assignee.username", allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=8, decimal_places=2)
    paid = serializers.DecimalField(max_digits=10, decimal_places=2)


class StaffListQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    department = IdField(required=False)


class RequestsView(APIView):
    """GET (staff): the open requests (or those in ``status``) of the caller's departments,
    overdue first; confidential departments only for their members; the list is an audit
    event. POST (public): file a request. JSON, or multipart/form-data when files are attached (then
    ``answers`` is a JSON text and each file a part named by its field's key). 201 with the
    reference, the structured communication and the status link; 400 with an error per field;
    429 over the limits. Needs a solved proof of work in ``altcha``. An ``Idempotency-Key``
    header makes a repeated request return the first one."""

    permission_classes = [AllowAny]

    def get_permissions(self) -> list[Any]:
        # Filing is public; the list is for staff (their departments' requests only).
        if self.request.method == "GET":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        parameters=[StaffListQuery],
        responses={200: StaffRequestSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: ApiRequest) -> Response:
        query = StaffListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = selectors.work_list(
            request.user,
            status=query.validated_data.get("status", ""),
            department=query.validated_data.get("department"),
        )
        return Response(StaffRequestSerializer(found, many=True).data)

    @extend_schema(
        request={"application/json": RequestCreate, "multipart/form-data": RequestCreate},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={
            201: inline_serializer(
                name="RequestFiled",
                fields={
                    "reference": serializers.CharField(),
                    "status": serializers.CharField(),
                    "status_url": serializers.URLField(),
                    "amount": serializers.DecimalField(max_digits=8, decimal_places=2),
                    "structured_communication": serializers.CharField(),
                },
            ),
            400: ErrorSerializer,
            403: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`strong_login_required`: the product needs a strong login (itsme, eID), "
                    "which only the e-loket's pages offer; nothing is filed."
                ),
            ),
            404: ErrorSerializer,
            429: ErrorSerializer,
        },
    )
    def post(self, request: ApiRequest) -> Response:
        body = RequestCreate(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        product = _product(values["product"])
        answers = _answers(values["answers"])
        key = request.headers.get("Idempotency-Key", "")[:64] or None
        proof.require(values["altcha"], idempotency_key=key)
        services.check_limits(ip=client.address(request), email=values["email"])
        uploads = [
            services.Upload(field=name, filename=upload.name or "file", data=upload.read())
            for name in request.FILES
            for upload in request.FILES.getlist(name)[: services.MAX_FILES + 1]
        ]
        filed, _token = services.submit_request(
            product=product,
            answers=answers,
            email=values["email"],
            uploads=uploads,
            language=(get_language() or "nl")[:2],
            client=services.client_hash(client.address(request)),
            idempotency_key=key,
        )
        return Response(
            {
                "reference": filed.reference,
                "status": filed.status,
                "status_url": status_url(request, filed),
                "amount": f"{filed.amount:.2f}",
                "structured_communication": ogm.display(filed.communication),
            },
            status=201,
        )


class RequestDetailView(APIView):
    """A request with its status token (public)."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True)],
        responses={200: StatusSerializer, 404: ErrorSerializer},
    )
    def get(self, request: ApiRequest, reference: str) -> Response:
        filed = services.by_token(reference, str(request.query_params.get("token", ""))[:100])
        return Response(StatusSerializer(filed).data)


class TransitionBody(serializers.Serializer[Any]):
    to = serializers.ChoiceField(choices=Status.choices)
    message = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Why a request that is not paid in full goes to `ready` or `closed` anyway "
            "(kept in the audit log); without it such a move is refused with 409 `unpaid`."
        ),
    )


class StaffTransitionView(APIView):
    """Move a request on (staff of its department): the citizen is e-mailed, with
    ``message`` (required for ``waiting_for_citizen`` and ``rejected``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TransitionBody,
        responses={
            200: StaffRequestSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`invalid_transition`: not possible from the request's status; `unpaid`: "
                    "to `ready` or `closed` with something left to pay and no "
                    "`override_reason`."
                ),
            ),
        },
    )
    def post(self, request: ApiRequest, reference: str) -> Response:
        body = TransitionBody(data=request.data)
        body.is_valid(raise_exception=True)
        found = selectors.get_request(request.user, reference, what="transition")
        moved = services.transition(
            actor=request.user,
            request=found,
            to=body.validated_data["to"],
            message=body.validated_data["message"],
            override_reason=body.validated_data["override_reason"],
        )
        return Response(StaffRequestSerializer(moved).data)
