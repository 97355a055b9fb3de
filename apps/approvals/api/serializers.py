from rest_framework import serializers

from apps.accounts.api.serializers import TeamBriefSerializer
from apps.accounts.models import Team
from apps.approvals.choices import Decision
from apps.approvals.models import Approval


class ApprovalSerializer(serializers.ModelSerializer):
    change = serializers.IntegerField(source="change_id", read_only=True)
    reference = serializers.CharField(source="change.reference", read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_current = serializers.BooleanField(read_only=True, help_text="False once a material edit withdrew it.")

    class Meta:
        model = Approval
        fields = [
            "id",
            "change",
            "reference",
            "team",
            "decided_by",
            "decision",
            "comment",
            "decided_at",
            "change_version",
            "is_current",
            "withdrawn_at",
            "withdrawn_reason",
        ]
        read_only_fields = fields


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="Required to reject."
    )
    team = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Team.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Slug of the team you decide for, when you may decide for several.",
    )
