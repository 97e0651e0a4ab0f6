"""Pages of the mail register, under /staff/mail/. Entry points for the staff navigation:
``mail:intake`` (the mail clerk), ``mail:inbox`` (handlers and team leads), ``mail:search``."""

from django.urls import path

from onthaal.mail import views

app_name = "mail"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("intake/", views.intake, name="intake"),
    path("search/", views.search_page, name="search"),
    path("export.csv", views.export, name="export"),
    path("bulk-assign/", views.bulk_assign, name="bulk-assign"),
    path("retention/", views.retention_lists, name="retention"),
    path("retention/propose/", views.retention_propose, name="retention-propose"),
    path("retention/<int:pk>/", views.retention_list, name="retention-list"),
    path(
        "retention/<int:pk>/approve/",
        views.retention_decide,
        {"decision": "approve"},
        name="retention-approve",
    ),
    path("retention/<int:pk>/take-off/", views.retention_take_off, name="retention-take-off"),
    path("retention/<int:pk>/archive.zip", views.retention_archive, name="retention-archive"),
    path(
        "retention/<int:pk>/reject/",
        views.retention_decide,
        {"decision": "reject"},
        name="retention-reject",
    ),
    path("<str:public_id>/", views.item, name="item"),
    path("<str:public_id>/assign/", views.assign, name="assign"),
    path("<str:public_id>/start/", views.transition, {"action": "start"}, name="start"),
    path("<str:public_id>/close/", views.transition, {"action": "close"}, name="close"),
    path("<str:public_id>/answer/", views.answer, name="answer"),
    path("<str:public_id>/grant/", views.grant, name="grant"),
    path("<str:public_id>/documents/<int:n>/", views.download, name="download"),
    path("<str:public_id>/documents/<int:n>/preview/", views.preview, name="preview"),
    path("<str:public_id>/documents/<int:n>/thumbnail/", views.thumbnail, name="thumbnail"),
]
