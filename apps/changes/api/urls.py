from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.changes.api import freeze, views

router = SimpleRouter(trailing_slash="")
router.register("changes", views.ChangeViewSet, basename="change")
router.register("freeze-windows", freeze.FreezeWindowViewSet, basename="freeze-window")

urlpatterns = [
    path("freeze-state", freeze.FreezeStateView.as_view(), name="freeze-state"),
    *router.urls,
]
