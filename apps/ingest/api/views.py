from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.changes.api.views import CanCreateChange
from apps.ingest.api.serializers import MAX_KEY, ChangeEventAcceptedSerializer, ChangeEventSerializer
from apps.ingest.services import ingest_change_event
from apps.platform.api.fields import contains_nul
from apps.platform.api.parsers import BoundedJSONParser
from apps.platform.api.permissions import WRITE
from apps.platform.api.schema import errors

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Same as `dedup_key`: a retried event with the same key creates nothing and gets the same answer.",
)


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY or contains_nul(key):
        raise serializers.ValidationError({"Idempotency-Key": f"At most {MAX_KEY} characters, no null characters."})
    return key


class ChangeEventView(APIView):
    # Who may record changes is checked before the body is read: a refused caller learns nothing about it.
    permission_classes = WRITE + (CanCreateChange,)
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="change_events_create",
        summary="Send a change event (ingest)",
        description="PagerDuty Events API v2 change-event shape plus ChangePortal fields. Without `change`: "
        "records an unplanned change (status as given) linked to its hosts. With `change`: the execution report "
        "of that planned change (per-host states, actual start/end), flagged in `warnings` when the change was "
        "not approved or ran outside its window. Unknown hosts are created unverified.",
        request=ChangeEventSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ChangeEventAcceptedSerializer, **errors(400, 401, 403, 409)},
        tags=["change-events"],
    )
    def post(self, request):
        body = ChangeEventSerializer(data=request.data, context={"idempotency_key": _idempotency_key(request)})
        body.is_valid(raise_exception=True)  # also refuses what PostgreSQL could not store (unstorable_json)
        result = ingest_change_event(actor=request.user, event=body.to_event(raw=request.data))
        answer = {
            "status": "success",
            "change": result.change.pk,
            "reference": result.change.reference,
            "duplicate": result.duplicate,
            "dedup_key": body.validated_data["dedup_key"],
            "unverified_hosts": result.unverified_hosts,
            "warnings": result.warnings,
        }
        return Response(ChangeEventAcceptedSerializer(answer).data, status=status.HTTP_202_ACCEPTED)
