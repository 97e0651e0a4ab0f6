from django.urls import path

from onthaal.reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/", views.export, name="export"),
    path("balance/", views.balance, name="balance"),
    path("what-if/", views.what_if, name="what-if"),
    path("year/<int:year>.pdf", views.year, name="year"),
]
