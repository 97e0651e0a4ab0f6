from django.urls import path

from onthaal.staffing import views

app_name = "staffing"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("import/", views.import_view, name="import"),
    path("feed/<str:token>.ics", views.feed_view, name="feed"),
    path("<slug:slug>/", views.board, name="board"),
    path("<slug:slug>/absence/", views.absence, name="absence"),
    path("<slug:slug>/propose/", views.propose, name="propose"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/requests/<int:pk>/", views.decide, name="decide"),
    path("<slug:slug>/assignments/<int:pk>/", views.assignment, name="assignment"),
]
