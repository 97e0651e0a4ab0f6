from django.urls import path

from onthaal.queue import views

app_name = "queue"

urlpatterns = [
    path("kiosk/service-worker.js", views.kiosk_service_worker, name="kiosk-sw"),
    path("kiosk/<slug:slug>/", views.kiosk, name="kiosk"),
    path("kiosk/<slug:slug>/ticket/<str:public_id>/", views.kiosk_ticket, name="kiosk-ticket"),
    path("ticket/<str:public_id>/", views.ticket_page, name="ticket"),
    path("ticket/<str:public_id>/status.json", views.ticket_json, name="ticket-json"),
    path("ticket/<str:public_id>/events/", views.ticket_events, name="ticket-events"),
    path("screen/<slug:slug>/", views.screen, name="screen"),
    path("staff/desk/", views.desk_choose, name="desk-choose"),
    path("staff/desk/<int:desk_id>/", views.desk, name="desk"),
    path("staff/desk/<int:desk_id>/<slug:action>/", views.desk_action, name="desk-action"),
    path("staff/reception/<slug:slug>/", views.reception, name="reception"),
    path("staff/lead/<slug:slug>/", views.lead, name="lead"),
]
