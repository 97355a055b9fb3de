from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.accounts.urls")),
    path("changes/", include("apps.changes.urls")),
    path("hosts/", include("apps.inventory.urls")),
    path("admin/", admin.site.urls),
]
