"""/api/v1/integration-keys: the PagerDuty-compatible integration keys, for leads (their teams') and staff."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.accounts.models import Team
from apps.audit.choices import AuditVia
from apps.changes.choices import ChangeKind
from apps.ingest import keys
from apps.ingest.models import IntegrationKey
from apps.inventory.models import Environment, Service
from apps.platform.api.permissions import READ, WRITE, ActionPermissionsMixin
from apps.platform.api.responses import LOCATION, created
from apps.platform.api.schema import errors


class CanManageIntegrationKeys(BasePermission):
    message = "Integration keys are managed by team leads and staff."

    def has_permission(self, request, view) -> bool:
        return keys.may_manage_any(request.user)


MANAGE_READ, MANAGE_WRITE = READ + (CanManageIntegrationKeys,), WRITE + (CanManageIntegrationKeys,)


class IntegrationKeySerializer(serializers.ModelSerializer):
    environment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    created_by = serializers.CharField(source="created_by.get_username", read_only=True, allow_null=True)
    revoked_by = serializers.CharField(source="revoked_by.get_username", read_only=True, allow_null=True)
    prefix = serializers.CharField(source="display_prefix", read_only=True)

    class Meta:
        model = IntegrationKey
        fields = [
            "id",
            "name",
            "prefix",
            "environment",
            "team",
            "service",
            "kind",
            "host_field",
            "created",
            "created_by",
            "last_used_at",
            "revoked_at",
            "revoked_by",
        ]


class NewIntegrationKeySerializer(IntegrationKeySerializer):
    key = serializers.CharField(help_text="The key itself (the `routing_key` of events): shown only in this answer.")

    class Meta(IntegrationKeySerializer.Meta):
        fields = [*IntegrationKeySerializer.Meta.fields, "key"]


class IntegrationKeyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    environment = serializers.SlugRelatedField(slug_field="slug", queryset=Environment.objects.all())
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False)
    service = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all(), required=False)
    kind = serializers.ChoiceField(choices=ChangeKind.choices, default=ChangeKind.RELEASE)
    host_field = serializers.CharField(max_length=100, required=False, allow_blank=True, default="custom_details.hosts")


@extend_schema_view(
    list=extend_schema(
        summary="Integration keys you manage", responses={200: IntegrationKeySerializer(many=True), **errors(403)}
    ),
    retrieve=extend_schema(responses={200: IntegrationKeySerializer, **errors(403, 404)}),
    create=extend_schema(
        summary="Create an integration key (shown once)",
        request=IntegrationKeyWriteSerializer,
        parameters=[LOCATION],
        responses={201: NewIntegrationKeySerializer, **errors(400, 403)},
    ),
    revoke=extend_schema(
        summary="Revoke an integration key", request=None, responses={200: IntegrationKeySerializer, **errors(403, 404)}
    ),
)
class IntegrationKeyViewSet(
    ActionPermissionsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = IntegrationKeySerializer
    action_permissions = {"list": MANAGE_READ, "retrieve": MANAGE_READ, "create": MANAGE_WRITE, "revoke": MANAGE_WRITE}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return IntegrationKey.objects.none()
        return keys.visible_keys(self.request.user).order_by("-created", "-id")

    def create(self, request):
        body = IntegrationKeyWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = keys.create_integration_key(actor=request.user, via=AuditVia.API, **body.validated_data)
        new.key.key = new.plaintext  # only this answer carries it
        data = NewIntegrationKeySerializer(new.key).data
        return created(request, data, viewname="integration-key-detail", pk=new.key.pk)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = keys.revoke_integration_key(actor=request.user, key=self.get_object(), via=AuditVia.API)
        return Response(IntegrationKeySerializer(key).data)
