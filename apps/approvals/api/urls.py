from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.approvals.api import views
from apps.approvals.api.decide import ChangeDecisionView

router = SimpleRouter(trailing_slash="")
router.register("approvals", views.ApprovalViewSet, basename="approval")

urlpatterns = [
    path("changes/<int:pk>/decide", ChangeDecisionView.as_view(), name="change-decide"),
    *router.urls,
]
