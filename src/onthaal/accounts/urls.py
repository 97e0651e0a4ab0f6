from django.urls import path

from onthaal.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/sso/", views.sso_begin, name="sso"),
    path("login/sso/callback/", views.sso_callback, name="sso-callback"),
    path("logout/", views.logout_view, name="logout"),
    path("login/code/", views.second_factor, name="second-factor"),
    path("two-step/", views.enrol, name="enrol"),
    path("two-step/off/", views.turn_off, name="second-factor-off"),
    path("", views.start, name="start"),
]
