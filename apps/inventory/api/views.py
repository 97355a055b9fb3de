from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from apps.audit.choices import AuditVia
from apps.inventory import services
from apps.inventory.api.serializers import (
    EnvironmentSerializer,
    HostSerializer,
    HostWriteSerializer,
    ServiceSerializer,
)
from apps.inventory.filtersets import HostFilterSet, ServiceFilterSet
from apps.inventory.models import Environment, Host, Service
from apps.platform.api.lookups import IdOrNaturalKeyLookupMixin
from apps.platform.api.permissions import READ, STAFF_WRITE, ActionPermissionsMixin
from apps.platform.api.responses import LOCATION, created


class EnvironmentViewSet(ActionPermissionsMixin, IdOrNaturalKeyLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Environments in their display order (dev before qa before prod). Address one by id or slug."""

    queryset = Environment.objects.order_by("order", "name")
    serializer_class = EnvironmentSerializer
    lookup_field = "slug"
    filter_backends = [OrderingFilter]
    ordering_fields = ["order", "name", "id"]
    action_permissions = {"list": READ, "retrieve": READ}


class ServiceViewSet(ActionPermissionsMixin, IdOrNaturalKeyLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Services (applications such as billing-web). Address one by id or slug."""

    queryset = Service.objects.select_related("owner_team").order_by("name")
    serializer_class = ServiceSerializer
    lookup_field = "slug"
    filterset_class = ServiceFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name", "id"]
    action_permissions = {"list": READ, "retrieve": READ}


@extend_schema_view(
    create=extend_schema(request=HostWriteSerializer, parameters=[LOCATION], responses={201: HostSerializer}),
    update=extend_schema(request=HostWriteSerializer, responses=HostSerializer),
    partial_update=extend_schema(request=HostWriteSerializer, responses=HostSerializer),
)
class HostViewSet(
    ActionPermissionsMixin,
    IdOrNaturalKeyLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Hosts, addressed by id or hostname. Staff create and edit them (a host is never deleted here: set
    ``is_active`` false). ``updated_since`` returns the hosts changed since a time, for incremental sync."""

    queryset = Host.objects.select_related("environment").prefetch_related("services", "tags").order_by("hostname")
    serializer_class = HostSerializer
    lookup_field = "hostname"
    lowercase_key = True
    filterset_class = HostFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["hostname", "created", "updated", "id"]
    action_permissions = {
        "list": READ,
        "retrieve": READ,
        "create": STAFF_WRITE,
        "update": STAFF_WRITE,
        "partial_update": STAFF_WRITE,
    }

    def create(self, request):
        serializer = HostWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        host = services.create_host(actor=request.user, via=AuditVia.API, **serializer.validated_data)
        return created(
            request, HostSerializer(self.get_queryset().get(pk=host.pk)).data, viewname="host-detail", pk=host.pk
        )

    def update(self, request, partial=False, **kwargs):
        host = self.get_object()
        serializer = HostWriteSerializer(host, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        host = services.update_host(actor=request.user, host=host, via=AuditVia.API, **serializer.validated_data)
        return Response(HostSerializer(self.get_queryset().get(pk=host.pk)).data)

    def partial_update(self, request, **kwargs):
        return self.update(request, partial=True, **kwargs)
