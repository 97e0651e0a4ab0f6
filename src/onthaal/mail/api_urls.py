"""API routes of the mail register (included under /api/v1/)."""

from django.urls import path

from onthaal.mail import api

urlpatterns = [
    path("mail/", api.MailListView.as_view(), name="api-mail"),
    path("mail/<str:public_id>/", api.MailDetailView.as_view(), name="api-mail-item"),
    path(
        "mail/<str:public_id>/documents/<int:n>/",
        api.MailDocumentView.as_view(),
        name="api-mail-document",
    ),
    path("mail/<str:public_id>/assign/", api.MailAssignView.as_view(), name="api-mail-assign"),
    path("mail/<str:public_id>/answer/", api.MailAnswerView.as_view(), name="api-mail-answer"),
]
