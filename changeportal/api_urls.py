"""The REST API under /api/v1/: each app contributes its own routes from its api/urls.py."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.incidents.api.urls")),
    path("", include("apps.incidents.api.incidents")),
    path("", include("apps.accounts.api.urls")),
    path("", include("apps.inventory.api.urls")),
    path("", include("apps.changes.api.urls")),
    path("", include("apps.approvals.api.urls")),
    path("", include("apps.ingest.api.urls")),
    path("", include("apps.metrics.api.urls")),
]
