from django.urls import path

from onthaal.organisation import views

app_name = "theme"

urlpatterns = [
    path("theme/<int:organisation_id>.css", views.theme_css, name="css"),
    path("theme/<str:name>", views.theme_file, name="file"),
]
