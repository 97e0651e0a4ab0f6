"""API routes of the hours app (included under /api/v1/)."""

from django.urls import path

from onthaal.hours import api

urlpatterns = [
    path("opening-hours/", api.OpeningHours.as_view(), name="api-opening-hours"),
]
