from django.urls import path

from apps.ingest.api import views

urlpatterns = [
    path("change-events", views.ChangeEventView.as_view(), name="change-events"),
]
