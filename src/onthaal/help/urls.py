from django.urls import path

from onthaal.help import views

app_name = "help"
urlpatterns = [
    path("", views.index, name="index"),
    path("release-notes/", views.release_notes, name="release-notes"),
    path("files/<path:path>", views.built_file, name="file"),
    path("<slug:slug>/", views.role_page, name="role"),
]
