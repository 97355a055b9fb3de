"""The REST API under /api/v1/: each app contributes its own routes from its api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.incidents.api.urls")),
]
