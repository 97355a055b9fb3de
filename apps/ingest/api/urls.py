from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.ingest.api import views
from apps.ingest.api.batch import ChangeEventBatchView
from apps.ingest.api.keys import IntegrationKeyViewSet

router = SimpleRouter(trailing_slash="")
router.register("integration-keys", IntegrationKeyViewSet, basename="integration-key")

urlpatterns = [
    path("change-events", views.ChangeEventView.as_view(), name="change-events"),
    path("change-events/batch", ChangeEventBatchView.as_view(), name="change-events-batch"),
    *router.urls,
]
