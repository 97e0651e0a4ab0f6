from django.urls import path

from onthaal.reporting import api

urlpatterns = [
    path("reports/visits/", api.VisitsView.as_view(), name="api-reports-visits"),
    path("reports/erlang-c/", api.ErlangCView.as_view(), name="api-reports-erlang-c"),
    path("reports/advice/", api.AdviceView.as_view(), name="api-reports-advice"),
]
