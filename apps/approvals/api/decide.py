"""POST /api/v1/changes/{id}/decide: a lead's decision on a change, through apps.approvals.services.decide."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission

from apps.approvals import eligibility, services
from apps.approvals.api.serializers import ApprovalSerializer, DecideSerializer
from apps.changes.models import Change
from apps.platform.api.permissions import WRITE
from apps.platform.api.responses import LOCATION, created
from apps.platform.api.schema import errors


class MayDecideOnChange(BasePermission):
    """Refuses, before the body is read, whoever can never decide on this change: its own requester, and anyone in
    no team (required approvals are filled only by team members). Which slot, if any, is the service's call."""

    message = "You may not decide on this change: it is your own, or you are in no team whose approval it needs."

    def has_object_permission(self, request, view, obj) -> bool:
        return not eligibility.never_decides(request.user, obj)


class ChangeDecisionView(GenericAPIView):
    queryset = Change.objects.select_related("environment", "team", "requester")
    permission_classes = WRITE + (MayDecideOnChange,)
    serializer_class = DecideSerializer

    @extend_schema(
        operation_id="v1_changes_decide_create",
        summary="Approve or reject a change",
        description="Records your decision for one of the approvals the change needs (`team` picks which when "
        "you may decide for several). The last required approval approves the change; a rejection rejects it.",
        request=DecideSerializer,
        parameters=[LOCATION],
        responses={
            201: ApprovalSerializer,
            **errors(400, 401, 404),
            403: OpenApiResponse(description="You may not decide on this change (own change, not a lead...)."),
            409: OpenApiResponse(description="Not awaiting approval, or you already decided."),
        },
        tags=["changes"],
    )
    def post(self, request, pk):
        change = self.get_object()
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = services.decide(change=change, actor=request.user, **body.validated_data)
        return created(request, ApprovalSerializer(approval).data, viewname="approval-detail", pk=approval.pk)
