from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.ingest.enqueue import change_enqueue
from apps.platform.api.views import api_not_found

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("", include("apps.platform.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.schedule.urls")),
    path("changes/", include("apps.changes.urls")),
    path("approvals/", include("apps.approvals.urls")),
    path("chat/", include("apps.chat.urls")),
    path("hosts/", include("apps.inventory.urls")),
    path("incidents/", include("apps.incidents.urls")),
    path("bridge/", include("apps.incidents.lookup_urls")),
    path("metrics/", include("apps.metrics.urls")),
    path("api/v1/", include("changeportal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Last of the API: any other path under /api/ (/api/v1/nope, /api/v1/changes/) is a JSON 404, not the HTML one.
    re_path(r"^api/", api_not_found, name="api-not-found"),
    # PagerDuty's change-event path, exactly (no trailing slash, no redirect): unmodified PagerDuty clients post here.
    path("v2/change/enqueue", change_enqueue, name="pagerduty-change-enqueue"),
    path("integrations/slack/", include("apps.chat.slack_urls")),
    path("integrations/", include("apps.ingest.urls")),
    path("admin/", admin.site.urls),
]
