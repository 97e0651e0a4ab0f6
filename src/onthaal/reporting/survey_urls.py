from django.urls import path

from onthaal.reporting import views

app_name = "survey"

urlpatterns = [
    path("<str:token>/", views.survey_view, name="answer"),
]
