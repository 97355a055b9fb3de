import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter

from apps.accounts.models import Team
from apps.approvals.api.serializers import ApprovalSerializer
from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.platform.api.permissions import READ, ActionPermissionsMixin
from apps.platform.filters import IsoDateTimeFilter


class ApprovalFilterSet(django_filters.FilterSet):
    change = django_filters.NumberFilter(field_name="change_id", min_value=1, max_value=2**63 - 1)
    decision = django_filters.ChoiceFilter(choices=Decision.choices)
    team = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Team.objects.all(), field_name="team__slug", to_field_name="slug"
        )
    )
    decided_by = django_filters.CharFilter(field_name="decided_by__username")
    current = django_filters.BooleanFilter(field_name="withdrawn_at", lookup_expr="isnull", label="Not withdrawn")
    decided_since = IsoDateTimeFilter(field_name="decided_at", lookup_expr="gte")

    class Meta:
        model = Approval
        fields: list[str] = []


class ApprovalViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Leads' decisions, newest first. Decide with POST /api/v1/changes/{id}/decide."""

    queryset = Approval.objects.select_related("change", "team", "decided_by").order_by("-decided_at", "-id")
    serializer_class = ApprovalSerializer
    filterset_class = ApprovalFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["decided_at", "id"]
    action_permissions = {"list": READ, "retrieve": READ}
