"""Incidents, read-only and brief (the bridge works in the UI; suspects are in apps.incidents.api.views).

Its own routes, included by changeportal/api_urls.py next to apps.incidents.api.urls.
"""

import django_filters
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.routers import SimpleRouter

from apps.incidents.api.findings import IncidentDetailSerializer
from apps.incidents.api.serializers import IncidentBriefSerializer
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import Incident, IncidentFinding
from apps.platform.api.permissions import READ, ActionPermissionsMixin
from apps.platform.api.schema import errors
from apps.platform.filters import IsoDateTimeFilter


class IncidentFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    started_since = IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    updated_since = IsoDateTimeFilter(field_name="updated", lookup_expr="gte")

    class Meta:
        model = Incident
        fields: list[str] = []


@extend_schema_view(
    retrieve=extend_schema(
        summary="One incident, with its findings",
        responses={200: IncidentDetailSerializer, **errors(401, 404)},
    )
)
class IncidentViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents, newest first."""

    queryset = Incident.objects.order_by("-started_at", "-id")
    serializer_class = IncidentBriefSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["started_at", "id"]
    action_permissions = {"list": READ, "retrieve": READ}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            findings = IncidentFinding.objects.order_by("recorded_at", "id")
            queryset = queryset.prefetch_related(Prefetch("findings", queryset=findings))
        return queryset

    def get_serializer_class(self):
        return IncidentDetailSerializer if self.action == "retrieve" else IncidentBriefSerializer


router = SimpleRouter(trailing_slash="")
router.register("incidents", IncidentViewSet, basename="incident")
urlpatterns = router.urls
