from django.urls import path

from onthaal.devices import views

app_name = "devices"

urlpatterns = [
    path("enrol/", views.enrol, name="enrol"),
    path("enrol/<str:code>/", views.enrol, name="enrol-code"),
]
