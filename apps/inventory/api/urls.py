from rest_framework.routers import SimpleRouter

from apps.inventory.api import views

router = SimpleRouter(trailing_slash="")
router.register("environments", views.EnvironmentViewSet, basename="environment")
router.register("services", views.ServiceViewSet, basename="service")
router.register("hosts", views.HostViewSet, basename="host")

urlpatterns = router.urls
