from rest_framework import serializers

from apps.accounts.models import Team, TeamMembership
from apps.platform.api.serializers import BuiltOnceModelSerializer


class TeamBriefSerializer(BuiltOnceModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "slug", "name"]


class MemberSerializer(BuiltOnceModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["username", "is_lead"]


class TeamSerializer(BuiltOnceModelSerializer):
    members = MemberSerializer(source="memberships", many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "slug", "name", "kind", "description", "members"]
