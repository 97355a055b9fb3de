from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from apps.audit.api.serializers import AuditEntrySerializer
from apps.audit.choices import AuditVia
from apps.audit.models import AuditEntry
from apps.inventory import services
from apps.inventory.api.permissions import STAFF_OR_INVENTORY_SCOPE
from apps.inventory.api.serializers import (
    BulkHostItemSerializer,
    BulkHostsRequestSerializer,
    BulkHostsResponseSerializer,
    EnvironmentSerializer,
    HostSerializer,
    HostWriteSerializer,
    ServiceSerializer,
    ServiceWriteSerializer,
)
from apps.inventory.filtersets import HostFilterSet, ServiceFilterSet
from apps.inventory.models import Environment, Host, Service
from apps.platform.api.lookups import IdOrNaturalKeyLookupMixin
from apps.platform.api.permissions import READ, ActionPermissionsMixin
from apps.platform.api.responses import LOCATION, created
from apps.platform.api.schema import errors

HISTORY = extend_schema(
    responses=AuditEntrySerializer(many=True),
    description="The object's audit history, newest first (paginated: ?page=, ?limit=).",
)


class HistoryMixin:
    """``GET …/{key}/history``: the object's audit entries, newest first, paginated like every list."""

    def history(self, request, **kwargs):
        obj = self.get_object()
        page = self.paginate_queryset(AuditEntry.objects.for_object(obj))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class EnvironmentViewSet(ActionPermissionsMixin, IdOrNaturalKeyLookupMixin, viewsets.ReadOnlyModelViewSet):
    """Environments in their display order (dev before qa before prod). Address one by id or slug."""

    queryset = Environment.objects.order_by("order", "name")
    serializer_class = EnvironmentSerializer
    lookup_field = "slug"
    filter_backends = [OrderingFilter]
    ordering_fields = ["order", "name", "id"]
    action_permissions = {"list": READ, "retrieve": READ}


@extend_schema_view(
    create=extend_schema(request=ServiceWriteSerializer, parameters=[LOCATION], responses={201: ServiceSerializer}),
    update=extend_schema(request=ServiceWriteSerializer, responses=ServiceSerializer),
    partial_update=extend_schema(request=ServiceWriteSerializer, responses=ServiceSerializer),
)
class ServiceViewSet(
    ActionPermissionsMixin,
    IdOrNaturalKeyLookupMixin,
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Services (applications such as billing-web). Address one by id or slug. Staff and inventory tokens create
    and edit them; every write is in the service's history."""

    queryset = Service.objects.select_related("owner_team").order_by("name")
    serializer_class = ServiceSerializer
    lookup_field = "slug"
    filterset_class = ServiceFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["name", "id"]
    inventory_scope_writes = True
    action_permissions = {
        "list": READ,
        "retrieve": READ,
        "history": READ,
        "create": STAFF_OR_INVENTORY_SCOPE,
        "update": STAFF_OR_INVENTORY_SCOPE,
        "partial_update": STAFF_OR_INVENTORY_SCOPE,
    }

    def create(self, request):
        serializer = ServiceWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        service = services.create_service(actor=request.user, via=AuditVia.API, **serializer.validated_data)
        data = ServiceSerializer(self.get_queryset().get(pk=service.pk)).data
        return created(request, data, viewname="service-detail", pk=service.pk)

    def update(self, request, partial=False, **kwargs):
        service = self.get_object()
        serializer = ServiceWriteSerializer(service, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        service = services.update_service(
            actor=request.user, service=service, via=AuditVia.API, **serializer.validated_data
        )
        return Response(ServiceSerializer(self.get_queryset().get(pk=service.pk)).data)

    def partial_update(self, request, **kwargs):
        return self.update(request, partial=True, **kwargs)

    @HISTORY
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, **kwargs):
        return super().history(request, **kwargs)


@extend_schema_view(
    create=extend_schema(request=HostWriteSerializer, parameters=[LOCATION], responses={201: HostSerializer}),
    update=extend_schema(request=HostWriteSerializer, responses=HostSerializer),
    partial_update=extend_schema(request=HostWriteSerializer, responses=HostSerializer),
)
class HostViewSet(
    ActionPermissionsMixin,
    IdOrNaturalKeyLookupMixin,
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Hosts, addressed by id or hostname. Staff and inventory tokens create and edit them (a host is never deleted
    here: set ``is_active`` false), one by one or in bulk. ``updated_since`` returns the hosts changed since a time,
    for incremental sync."""

    queryset = Host.objects.select_related("environment").prefetch_related("services", "tags").order_by("hostname")
    serializer_class = HostSerializer
    lookup_field = "hostname"
    lowercase_key = True
    filterset_class = HostFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["hostname", "created", "updated", "id"]
    inventory_scope_writes = True
    action_permissions = {
        "list": READ,
        "retrieve": READ,
        "history": READ,
        "create": STAFF_OR_INVENTORY_SCOPE,
        "update": STAFF_OR_INVENTORY_SCOPE,
        "partial_update": STAFF_OR_INVENTORY_SCOPE,
        "bulk": STAFF_OR_INVENTORY_SCOPE,
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

    @HISTORY
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request, **kwargs):
        return super().history(request, **kwargs)

    @extend_schema(
        request=BulkHostsRequestSerializer,
        responses={200: BulkHostsResponseSerializer, **errors(400, 401, 403, 409)},
        description=f"Create or update up to {services.MAX_BULK_HOSTS} hosts by hostname in one transaction, all or "
        "nothing: if any item is invalid nothing is written and the answer is 400 with a ``detail`` and the same "
        "per-item report (``applied`` false). 409 if one of its new hosts was created by someone else meanwhile "
        "(nothing written: send it again).",
    )
    @action(detail=False, methods=["post"], url_path="bulk", filter_backends=[], pagination_class=None)
    def bulk(self, request):
        hosts = request.data.get("hosts") if isinstance(request.data, dict) else None
        limit = services.MAX_BULK_HOSTS
        if not isinstance(hosts, list) or not hosts:
            raise ValidationError({"hosts": [f"Send a list of 1 to {limit} hosts."]})
        if len(hosts) > limit:
            raise ValidationError({"hosts": [f"At most {limit} hosts per request (got {len(hosts)})."]})
        items, errors = [], {}
        for index, raw in enumerate(hosts):
            item = BulkHostItemSerializer(data=raw)
            if item.is_valid():
                items.append(dict(item.validated_data))
            else:
                name = raw.get("hostname") if isinstance(raw, dict) else None
                items.append({"hostname": name[:253] if isinstance(name, str) else None})
                errors[index] = item.errors
        result = services.upsert_hosts(actor=request.user, via=AuditVia.API, items=items, errors=errors)
        body = {
            "applied": result.applied,
            **{name: result.count(name) for name in ("created", "updated", "unchanged")},
            "results": result.items,
        }
        if not result.applied:
            body = {"detail": "Nothing was written: some hosts are invalid (see results).", **body}
        return Response(body, status=status.HTTP_200_OK if result.applied else status.HTTP_400_BAD_REQUEST)
