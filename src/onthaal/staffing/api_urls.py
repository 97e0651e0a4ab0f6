"""API routes of the staffing app (included under /api/v1/)."""

from django.urls import path

from onthaal.staffing import api

urlpatterns = [
    path("staffing/coverage/", api.CoverageView.as_view(), name="api-staffing-coverage"),
    path("staffing/absences/", api.AbsenceView.as_view(), name="api-staffing-absences"),
    path("staffing/rosters/propose/", api.ProposeView.as_view(), name="api-staffing-propose"),
    path("staffing/rosters/publish/", api.PublishView.as_view(), name="api-staffing-publish"),
]
