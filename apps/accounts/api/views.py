from django.db.models import Prefetch
from rest_framework import viewsets
from rest_framework.filters import OrderingFilter

from apps.accounts.api.serializers import TeamSerializer
from apps.accounts.models import Team, TeamMembership
from apps.platform.api.lookups import IdOrNaturalKeyLookupMixin
from apps.platform.api.permissions import READ, ActionPermissionsMixin


class TeamViewSet(ActionPermissionsMixin, IdOrNaturalKeyLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Teams and their members (leads approve the team's changes). Address one by id or slug."""

    queryset = Team.objects.prefetch_related(
        Prefetch(
            "memberships", queryset=TeamMembership.objects.select_related("user").order_by("-is_lead", "user__username")
        )
    ).order_by("name")
    serializer_class = TeamSerializer
    lookup_field = "slug"
    filter_backends = [OrderingFilter]
    ordering_fields = ["name", "id"]
    action_permissions = {"list": READ, "retrieve": READ}
