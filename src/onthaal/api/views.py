"""The public catalogue endpoints: locations, departments, products."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from onthaal.accounts import access
from onthaal.api import serializers
from onthaal.api.errors import ErrorSerializer, error_body
from onthaal.catalogue.models import Channel, Product
from onthaal.core.errors import DomainError
from onthaal.organisation.models import Department, Location


class LocationList(generics.ListAPIView):
    """Locations where citizens are received."""

    permission_classes = [AllowAny]
    serializer_class = serializers.LocationSerializer
    queryset = Location.objects.all()


class DepartmentList(generics.ListAPIView):
    """Departments that serve citizens."""

    permission_classes = [AllowAny]
    serializer_class = serializers.DepartmentSerializer
    queryset = Department.objects.select_related("organisation").prefetch_related("locations")


@extend_schema(
    parameters=[
        OpenApiParameter("department", str, description="Department slug."),
        OpenApiParameter("channel", str, enum=Channel.values, description="Offered on channel."),
    ],
    responses={200: serializers.ProductSerializer(many=True), 400: ErrorSerializer},
)
class ProductList(generics.ListAPIView):
    """Active products of the catalogue, optionally filtered by department or channel."""

    permission_classes = [AllowAny]
    serializer_class = serializers.ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        products = (
            Product.objects.filter(active=True)
            .select_related("department")
            .prefetch_related("channels")
        )
        department = self.request.query_params.get("department")
        if department:
            if not Department.objects.filter(slug=department).exists():
                raise DomainError(
                    _("Unknown department."), fields={"department": [_("Unknown department.")]}
                )
            products = products.filter(department__slug=department)
        channel = self.request.query_params.get("channel")
        if channel:
            if channel not in Channel.values:
                raise DomainError(
                    _("Unknown channel."),
                    fields={
                        "channel": [_("Choose one of: %(c)s.") % {"c": ", ".join(Channel.values)}]
                    },
                )
            products = products.filter(channels__channel=channel)
        return products


class Me(generics.GenericAPIView[Any]):
    """The authenticated staff member or device and its memberships (session or token)."""

    serializer_class = serializers.MeSerializer

    @extend_schema(responses={200: serializers.MeSerializer, 401: ErrorSerializer})
    def get(self, request: Request) -> Response:
        data = {
            "username": request.user.get_username(),
            "memberships": access.memberships(request.user),
        }
        return Response(serializers.MeSerializer(data).data)


@csrf_exempt  # it changes nothing; a POST with a session cookie gets the same 404
def not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """A path under the API that no endpoint serves (any characters, with or without the
    final slash): 404 in the error shape."""
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)
