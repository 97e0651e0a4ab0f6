from django.urls import path

from onthaal.reporting import views

app_name = "contacts"

urlpatterns = [
    path("<slug:slug>/phone/", views.phone_contact, name="phone"),
]
