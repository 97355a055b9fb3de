from django.urls import path

from apps.schedule import views

app_name = "schedule"

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("feeds/changes.ics", views.feed_ics, name="feed_ics"),
    path("feeds/changes.atom", views.feed_atom, name="feed_atom"),
    path("changes/export.csv", views.change_export, name="change_export"),
]
