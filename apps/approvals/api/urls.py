from rest_framework.routers import SimpleRouter

from apps.approvals.api import views

router = SimpleRouter(trailing_slash="")
router.register("approvals", views.ApprovalViewSet, basename="approval")

urlpatterns = router.urls
