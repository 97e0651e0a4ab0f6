from django.urls import path

from onthaal.hours import views

app_name = "hours"
urlpatterns = [
    path("locations/", views.index, name="index"),
    path("locations/<slug:slug>/", views.location, name="location"),
    path("locations/<slug:slug>/hours.ics", views.location_ical, name="ical"),
]
