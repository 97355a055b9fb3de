from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.schedule.urls")),
    path("changes/", include("apps.changes.urls")),
    path("approvals/", include("apps.approvals.urls")),
    path("hosts/", include("apps.inventory.urls")),
    path("incidents/", include("apps.incidents.urls")),
    path("bridge/", include("apps.incidents.lookup_urls")),
    path("api/v1/", include("changeportal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
