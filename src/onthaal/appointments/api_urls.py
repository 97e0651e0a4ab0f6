"""API routes of appointments (included under /api/v1/)."""

from django.urls import path

from onthaal.appointments import api

urlpatterns = [
    path("availability/", api.AvailabilityView.as_view(), name="api-availability"),
    path("appointments/", api.AppointmentCreateView.as_view(), name="api-appointments"),
    # Before <reference>/, which would take "challenge" for a reference.
    path("appointments/challenge/", api.ChallengeView.as_view(), name="api-appointment-challenge"),
    path(
        "appointments/<str:reference>/",
        api.AppointmentDetailView.as_view(),
        name="api-appointment",
    ),
    path(
        "appointments/<str:reference>/cancel/",
        api.AppointmentCancelView.as_view(),
        name="api-appointment-cancel",
    ),
    path(
        "appointments/<str:reference>/move/",
        api.AppointmentMoveView.as_view(),
        name="api-appointment-move",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        api.AppointmentRescheduleView.as_view(),
        name="api-appointment-reschedule",
    ),
]
