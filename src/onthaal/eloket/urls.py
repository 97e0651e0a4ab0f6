from django.urls import path

from onthaal.eloket import staff, views

app_name = "eloket"

urlpatterns = [
    path("e-loket/", views.index, name="index"),
    path("e-loket/product/<slug:slug>/", views.product, name="product"),
    path("e-loket/product/<slug:slug>/form/", views.form, name="form"),
    path("e-loket/product/<slug:slug>/login/", views.login_start, name="login"),
    path("e-loket/login/callback/", views.login_callback, name="login-callback"),
    path("e-loket/logout/", views.logout, name="logout"),
    path("e-loket/request/<str:reference>/received/", views.received, name="received"),
    path("e-loket/request/<str:reference>/", views.status, name="status"),
    path("e-loket/request/<str:reference>/answer/", views.answer, name="answer"),
    path(
        "e-loket/request/<str:reference>/document/<str:signed>/",
        views.download,
        name="download",
    ),
    path("e-loket/confirm/<str:signed>/", views.verify, name="verify"),
    path("staff/e-loket/", staff.work_list, name="staff-list"),
    path("staff/e-loket/payments/", staff.payments, name="staff-payments"),
    path("staff/e-loket/<str:reference>/", staff.detail, name="staff-request"),
    path("staff/e-loket/<str:reference>/transition/", staff.transition, name="staff-transition"),
    path("staff/e-loket/<str:reference>/assign/", staff.assign, name="staff-assign"),
    path("staff/e-loket/<str:reference>/document/", staff.produce, name="staff-produce"),
    path("staff/e-loket/<str:reference>/file/<int:pk>/", staff.file_download, name="staff-file"),
]
