"""Changes over REST. Every write goes through apps.changes.services; decisions are apps.approvals.api.decide."""

from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from apps.changes import permissions, services
from apps.changes.api.freeze import GateQuerySerializer, GateSerializer
from apps.changes.api.serializers import (
    ChangeFeedItemSerializer,
    ChangeHostSerializer,
    ChangeSerializer,
    ChangeUpdateSerializer,
    ChangeWriteSerializer,
    HostStateSerializer,
    HostStatesResultSerializer,
    HostStatesSerializer,
    TransitionSerializer,
    resolve_hostnames,
)
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.gate import gate_decision
from apps.changes.models import Change, ChangeHost
from apps.platform.api.pagination import FeedCursorPagination
from apps.platform.api.permissions import READ, WRITE, ActionPermissionsMixin
from apps.platform.api.responses import LOCATION, created
from apps.platform.api.schema import errors


class CanCreateChange(BasePermission):
    message = "Only staff or members of a team can request changes."

    def has_permission(self, request, view) -> bool:
        return permissions.can_create(request.user)


class CanEditChange(BasePermission):
    message = "Only the requester, members of the change's team, or staff can do that."

    def has_object_permission(self, request, view, obj) -> bool:
        return permissions.can_edit(request.user, obj)


def _host_links(change: Change):
    return ChangeHost.objects.filter(change=change).select_related("host").order_by("host__hostname")


@extend_schema_view(
    list=extend_schema(summary="List changes", responses={200: ChangeSerializer(many=True), **errors(400, 401)}),
    retrieve=extend_schema(summary="One change", responses={200: ChangeSerializer, **errors(401, 404)}),
    create=extend_schema(
        summary="Request a change",
        request=ChangeWriteSerializer,
        parameters=[LOCATION],
        responses={201: ChangeSerializer, **errors(400, 401, 403)},
    ),
    update=extend_schema(
        summary="Edit a change (all fields)",
        request=ChangeUpdateSerializer,
        responses={200: ChangeSerializer, **errors(400, 401, 403, 404, 409)},
    ),
    partial_update=extend_schema(
        summary="Edit some fields of a change",
        description="Send `version` (the one you read). A material edit of an approved change withdraws its "
        "approval; an edit made by someone else in between answers 409.",
        request=ChangeUpdateSerializer,
        responses={200: ChangeSerializer, **errors(400, 401, 403, 404, 409)},
    ),
)
class ChangeViewSet(
    ActionPermissionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Changes, filtered with the same filterset as the change list (`environment`, `status`, `host`,
    `window_start`/`window_end`, `updated_since`, ...)."""

    queryset = (
        Change.objects.select_related("environment", "team", "requester")
        .prefetch_related(
            "services",
            Prefetch("host_links", queryset=ChangeHost.objects.select_related("host").order_by("host__hostname")),
        )
        .order_by("-eff_start", "-id")
    )
    serializer_class = ChangeSerializer
    filterset_class = ChangeFilterSet
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["eff_start", "eff_end", "planned_start", "created", "updated", "id"]
    action_permissions = {
        "list": READ,
        "retrieve": READ,
        "feed": READ,
        "gate": READ,
        "create": WRITE + (CanCreateChange,),
        "update": WRITE + (CanEditChange,),
        "partial_update": WRITE + (CanEditChange,),
        # Which move is allowed is the service's call (permissions.can_transition); any move needs the edit right.
        "transition": WRITE + (CanEditChange,),
        "host_states": WRITE + (CanEditChange,),
        "host_state": WRITE + (CanEditChange,),
    }

    def _fresh(self, change: Change) -> dict:
        return ChangeSerializer(self.get_queryset().get(pk=change.pk)).data

    def create(self, request):
        serializer = ChangeWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, options = serializer.split()
        change = services.create_change(actor=request.user, **options, **fields)
        return created(request, self._fresh(change), viewname="change-detail", pk=change.pk)

    def update(self, request, pk=None, partial=False):
        change = self.get_object()
        serializer = ChangeUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields, options = serializer.split()
        change, _diff = services.update_change(
            change=change,
            actor=request.user,
            fields=fields,
            hosts=options.get("hosts"),
            services=options.get("services"),
            expected_version=options["version"],
            note=options.get("note", ""),
            submit=options.get("submit", False),
        )
        return Response(self._fresh(change))

    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    @extend_schema(
        summary="Change feed for incremental sync",
        description="Every change, oldest update first, with a stable cursor: store the `next` link and follow it "
        "later to get what changed since. Takes the same filters as the list (e.g. `updated_since`).",
        responses={200: ChangeFeedItemSerializer(many=True), **errors(400, 401, 404)},
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=FeedCursorPagination,
        filter_backends=[DjangoFilterBackend],
    )
    def feed(self, request):
        queryset = self.filter_queryset(self.get_queryset()).order_by()
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ChangeFeedItemSerializer(page, many=True).data)

    @extend_schema(
        summary="Move a change to another status",
        description="The allowed moves are the change's state machine; an illegal move answers 409 with the "
        "allowed ones. Approving and rejecting are decisions: use `decide`.",
        request=TransitionSerializer,
        responses={200: ChangeSerializer, **errors(400, 401, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        change = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change = services.transition_change(change=change, actor=request.user, **body.validated_data)
        return Response(self._fresh(change))

    @extend_schema(
        operation_id="changes_hosts_state_bulk",
        summary="Record the execution state on several hosts",
        request=HostStatesSerializer,
        responses={200: HostStatesResultSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path="hosts/state")
    def host_states(self, request, pk=None):
        change = self.get_object()
        body = HostStatesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._set_states(request, change, body.validated_data["hosts"], body.validated_data)

    @extend_schema(
        operation_id="changes_host_state",
        summary="Record the execution state on one host",
        parameters=[OpenApiParameter("hostname", str, OpenApiParameter.PATH, description="A host of the change.")],
        request=HostStateSerializer,
        responses={200: HostStatesResultSerializer, **errors(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"], url_path=r"hosts/(?P<hostname>[^/]+)/state")
    def host_state(self, request, pk=None, hostname=None):
        change = self.get_object()
        body = HostStateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        hostname = hostname.strip().lower()
        if "\x00" in hostname or not change.host_links.filter(host__hostname=hostname).exists():
            raise NotFound(f"{hostname!r} is not a host of {change.reference}.")
        return self._set_states(request, change, [hostname], body.validated_data)

    def _set_states(self, request, change, hostnames, data):
        hosts, unknown = resolve_hostnames(hostnames)
        if unknown:
            raise serializers.ValidationError({"hosts": f"Unknown hosts: {', '.join(unknown)}."})
        updated = services.set_host_states(
            change=change, hosts=hosts, state=data["state"], actor=request.user, note=data["note"]
        )
        links = ChangeHostSerializer(_host_links(change), many=True).data
        return Response({"updated": updated, "hosts": links})

    @extend_schema(
        summary="May this change proceed now?",
        description="For a pipeline step before it deploys: the change must be approved (emergency changes: "
        "submitted), inside its planned window, and not in a freeze unless it carries a freeze exception. "
        "`reasons` says what stops it, and `codes` the same in machine-readable form (`not_approved`, "
        "`outside_window`, `frozen`; one per reason, in order).",
        parameters=[GateQuerySerializer],
        responses={200: GateSerializer, **errors(400, 401, 404)},
    )
    @action(detail=True, methods=["get"])
    def gate(self, request, pk=None):
        change = self.get_object()
        query = GateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(GateSerializer(gate_decision(change, at=query.validated_data.get("at"))).data)
