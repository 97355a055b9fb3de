from django.urls import path

from apps.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.integration_keys, name="integration_keys"),
    path("<int:pk>/revoke/", views.integration_key_revoke, name="integration_key_revoke"),
]
