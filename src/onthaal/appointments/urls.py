from django.urls import path

from onthaal.appointments import staff, views

app_name = "appointments"

urlpatterns = [
    path("staff/agenda/<slug:slug>/", staff.agenda, name="agenda"),
    path("staff/messages/", staff.outbox, name="outbox"),
    path("staff/appointments/<str:reference>/", staff.appointment, name="staff-appointment"),
    path("staff/appointments/<str:reference>/move/", staff.move, name="staff-move"),
    path("staff/appointments/<str:reference>/cancel/", staff.cancel, name="staff-cancel"),
    path("afspraak/", views.start, name="start"),
    path("afspraak/kiezen/", views.choose, name="choose"),
    path("afspraak/gegevens/", views.details, name="details"),
    path("afspraak/vasthouden/", views.hold, name="hold"),
    path("afspraak/<str:reference>/bevestigd/", views.done, name="done"),
    path("afspraak/<str:reference>/", views.manage, name="manage"),
    path("afspraak/<str:reference>/afspraak.ics", views.calendar_file, name="ics"),
    path("afspraak/<str:reference>/annuleren/", views.cancel, name="cancel"),
    path("afspraak/<str:reference>/verplaatsen/", views.move, name="move"),
    path("afspraak/<str:reference>/bevraging/", views.survey, name="survey"),
]
