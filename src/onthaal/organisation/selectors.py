"""Reads of the organisation app that other apps' pages use."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from onthaal.organisation.models import Location, Organisation


def location_organisation(location: Location) -> Organisation | None:
    """The organisation a kiosk or waiting-room screen at ``location`` names: of those with a
    department at the location, the municipality before the OCMW, then by name (the order in
    which the location's theme is picked, ``onthaal.organisation.theme``). None for a location
    without departments."""
    return (
        Organisation.objects.filter(departments__locations=location)
        .annotate(
            rank=Case(
                When(kind=Organisation.Kind.MUNICIPALITY, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "name")
        .first()
    )
