"""Freeze windows, and the two pipeline gates: is it frozen now, and may this change proceed now."""

from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.changes.filtersets import FreezeWindowFilterSet
from apps.changes.gate import GATE_CODES, freeze_state
from apps.changes.models import FreezeWindow
from apps.inventory.api.serializers import EnvironmentBriefSerializer
from apps.inventory.models import Environment, Service
from apps.platform.api.fields import BoundedDateTimeField
from apps.platform.api.permissions import READ, ActionPermissionsMixin
from apps.platform.api.schema import errors

FREEZE_STATES = ("open", "closed")


class FreezeWindowSerializer(serializers.ModelSerializer):
    environments = EnvironmentBriefSerializer(many=True, read_only=True)

    class Meta:
        model = FreezeWindow
        fields = ["id", "name", "start", "end", "recurrence", "reason", "environments", "created"]


class FreezeOccurrenceSerializer(serializers.Serializer):
    """One occurrence of a (possibly recurring) freeze window."""

    id = serializers.IntegerField(source="window.pk")
    name = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    reason = serializers.CharField(source="window.reason")
    recurring = serializers.SerializerMethodField()
    environments = serializers.SerializerMethodField()

    def get_recurring(self, occurrence) -> bool:
        return bool(occurrence.window.recurrence)

    def get_environments(self, occurrence) -> list[str]:
        return sorted(environment.slug for environment in occurrence.window.environments.all())


class FreezeStateQuerySerializer(serializers.Serializer):
    environment = serializers.SlugRelatedField(
        slug_field="slug", queryset=Environment.objects.all(), required=False, help_text="Environment slug."
    )
    service = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Service name or slug: without `environment`, the environments its hosts are in.",
    )
    at = BoundedDateTimeField(required=False, help_text="ISO 8601 (default: now).")

    def validate_service(self, value):
        service = Service.objects.filter(Q(slug=value) | Q(name=value)).first()
        if service is None:
            valid = ", ".join(Service.objects.order_by("name").values_list("name", flat=True)[:50])
            raise serializers.ValidationError(f"Unknown service {value!r}. Valid: {valid or 'none defined'}.")
        return service


class FreezeStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=FREEZE_STATES)
    at = serializers.DateTimeField()
    environments = serializers.ListField(child=serializers.CharField(), help_text="The environments asked about.")
    windows = FreezeOccurrenceSerializer(many=True, help_text="The freezes in force at `at`.")


class GateQuerySerializer(serializers.Serializer):
    at = BoundedDateTimeField(required=False, help_text="ISO 8601 (default: now).")


class GateSerializer(serializers.Serializer):
    change = serializers.IntegerField(source="change.pk")
    reference = serializers.CharField(source="change.reference")
    status = serializers.CharField(source="change.status")
    at = serializers.DateTimeField()
    proceed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Empty when it may proceed.")
    codes = serializers.ListField(
        child=serializers.ChoiceField(choices=GATE_CODES),
        help_text="One machine-readable code per reason, in the same order: " + ", ".join(GATE_CODES) + ".",
    )
    freezes = FreezeOccurrenceSerializer(many=True, help_text="Freezes in force at `at` in its environment.")


class FreezeWindowViewSet(ActionPermissionsMixin, viewsets.ReadOnlyModelViewSet):
    """Freeze windows as configured (recurring ones once, with their rule); /freeze-state expands them."""

    queryset = FreezeWindow.objects.prefetch_related("environments").order_by("start", "id")
    serializer_class = FreezeWindowSerializer
    filterset_class = FreezeWindowFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["start", "end", "name", "id"]
    action_permissions = {"list": READ, "retrieve": READ}


class FreezeStateView(APIView):
    permission_classes = READ

    @extend_schema(
        operation_id="freeze_state",
        summary="Is it frozen?",
        description="`closed` when a freeze window (recurring ones included) covers `at` in the environment "
        "(or, with only `service`, in an environment its hosts are in; with neither, in any environment).",
        parameters=[FreezeStateQuerySerializer],
        responses={200: FreezeStateSerializer, **errors(400, 401)},
    )
    def get(self, request):
        query = FreezeStateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        environment = query.validated_data.get("environment")
        service = query.validated_data.get("service")
        if environment is not None:
            environments = [environment]
        elif service is not None:
            environments = list(Environment.objects.filter(hosts__services=service).distinct().order_by("order"))
        else:
            environments = None
        ids = None if environments is None else [env.pk for env in environments]
        state = freeze_state(at=query.validated_data.get("at"), environment_ids=ids)
        body = {
            "state": state.state,
            "at": state.at,
            "environments": [env.slug for env in environments] if environments is not None else [],
            "windows": state.windows,
        }
        return Response(FreezeStateSerializer(body).data)
