"""Incidents, read-only and brief (the bridge works in the UI; suspects are in apps.incidents.api.views).

Its own routes, included by changeportal/api_urls.py next to apps.incidents.api.urls.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.routers import SimpleRouter

from apps.incidents.api.serializers import IncidentBriefSerializer
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import Incident
from apps.platform.api.permissions import READ, ActionPermissionsMixin
from apps.platform.filters import IsoDateTimeFilter


class IncidentFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    started_since = IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    updated_since = IsoDateTimeFilter(field_name="updated", lookup_expr="gte")

    class Meta:
        model = Incident
        fields: list[str] = []


class IncidentViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents, newest first."""

    queryset = Incident.objects.order_by("-started_at", "-id")
    serializer_class = IncidentBriefSerializer
    filterset_class = IncidentFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["started_at", "id"]
    action_permissions = {"list": READ, "retrieve": READ}


router = SimpleRouter(trailing_slash="")
router.register("incidents", IncidentViewSet, basename="incident")
urlpatterns = router.urls
