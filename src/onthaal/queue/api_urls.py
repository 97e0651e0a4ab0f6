"""API routes of customer guidance (included under /api/v1/)."""

from django.urls import path

from onthaal.queue import api, views

urlpatterns = [
    path("tickets/", api.TicketCreateView.as_view(), name="api-tickets"),
    path("tickets/<int:ticket_id>/start/", api.StartView.as_view(), name="api-ticket-start"),
    path("tickets/<int:ticket_id>/finish/", api.FinishView.as_view(), name="api-ticket-finish"),
    path("tickets/<int:ticket_id>/no-show/", api.NoShowView.as_view(), name="api-ticket-no-show"),
    path("tickets/<int:ticket_id>/recall/", api.RecallView.as_view(), name="api-ticket-recall"),
    path(
        "tickets/<int:ticket_id>/transfer/",
        api.TransferView.as_view(),
        name="api-ticket-transfer",
    ),
    path("desks/<int:desk_id>/call-next/", api.CallNextView.as_view(), name="api-call-next"),
    path("locations/<int:location_id>/display/", api.DisplayView.as_view(), name="api-display"),
    # Server-Sent Events (an async Django view; not part of the OpenAPI schema).
    path("locations/<int:location_id>/events/", views.events, name="api-events"),
]
