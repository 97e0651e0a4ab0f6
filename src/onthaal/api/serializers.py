"""Output serializers of the public catalogue."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from onthaal.catalogue.models import Product, ProductChannel
from onthaal.organisation.models import Department, Location


class LocationSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Location
        fields = ["id", "slug", "name", "street", "postal_code", "city", "phone", "email", "url"]

    def get_url(self, obj: Location) -> str:
        request = self.context.get("request")
        path = obj.get_absolute_url()
        return request.build_absolute_uri(path) if request else path


class DepartmentSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    organisation_kind = serializers.CharField(source="organisation.kind")
    locations: serializers.SlugRelatedField[Location] = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True
    )

    class Meta:
        model = Department
        fields = [
            "id",
            "slug",
            "name",
            "organisation",
            "organisation_kind",
            "confidential",
            "locations",
        ]


class ProductChannelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProductChannel
        fields = ["channel", "duration_minutes"]


class ProductSerializer(serializers.ModelSerializer):
    department: serializers.SlugRelatedField[Department] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    channels = ProductChannelSerializer(many=True, read_only=True)
    required_documents = serializers.ListField(
        source="document_list", child=serializers.CharField(), read_only=True
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "department",
            "name",
            "name_nl",
            "name_fr",
            "name_en",
            "description",
            "ipdc_concept_id",
            "channels",
            "required_documents",
            "price_text",
        ]


class MembershipSerializer(serializers.Serializer[Any]):
    role = serializers.CharField()
    department = serializers.CharField(source="department.slug", allow_null=True, default=None)


class MeSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    memberships = MembershipSerializer(many=True)
