"""POST /api/v1/change-events/batch: up to ``MAX_BATCH`` change events in one request, one result per event.

Each event is read by the same serializer as POST /api/v1/change-events and gets the answer that endpoint would
give it, sent after the events before it: the same validation, dedup (``dedup_key``; a key repeated inside the
batch is a duplicate of its first recorded event) and unknown hosts (apps.ingest.services_bulk). **Transactions:**
a run of events recording unplanned changes is written in one transaction, after every event of it was checked on
its own; an event that fails (400, 403, 409) is reported in its result and undoes nothing of the others; an
execution report (``change``) is recorded in its own transaction, in its place. The answer is 200 with every
event's own status. A batch that is not a list of 1–500 events is refused whole: 400 (not a list, empty), 413
(more than ``MAX_BATCH``).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.changes.api.views import CanCreateChange
from apps.ingest.api.serializers import ChangeEventAcceptedSerializer, EventReader
from apps.ingest.services import ChangeEvent, IngestResult
from apps.ingest.services_bulk import ingest_change_events
from apps.platform.api.exceptions import json_exception_handler
from apps.platform.api.parsers import BoundedJSONParser
from apps.platform.api.permissions import WRITE
from apps.platform.api.schema import ApiErrorSerializer, errors
from apps.platform.errors import DomainError

MAX_BATCH = 500


class BatchRequestSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.JSONField(), help_text=f"1 to {MAX_BATCH} change events.")


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the event in `events`, from 0.")
    status = serializers.IntegerField(help_text="202 recorded (or a duplicate), 400, 403 or 409 refused.")
    result = ChangeEventAcceptedSerializer(required=False, help_text="With 202: as POST /change-events answers.")
    errors = serializers.JSONField(required=False, help_text="With 400/403/409: the same body the single POST gives.")


class BatchAnswerSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Events answered 202, duplicates included.")
    duplicates = serializers.IntegerField()
    failed = serializers.IntegerField()
    results = BatchResultSerializer(many=True)


class TooManyEvents(DomainError):
    http_status = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE


def _events(data) -> list:
    events = data.get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        raise serializers.ValidationError({"events": ['Send {"events": [...]}: a list of change events.']})
    if not events:
        raise serializers.ValidationError({"events": ["Send at least one event."]})
    if len(events) > MAX_BATCH:
        raise TooManyEvents(f"{len(events)} events: at most {MAX_BATCH} per batch; split it.")
    return events


def _failure(exc: Exception) -> tuple[int, object]:
    if isinstance(exc, serializers.ValidationError):
        return status.HTTP_400_BAD_REQUEST, exc.detail
    response = json_exception_handler(exc, {})  # domain errors and Django's ValidationError, as the single POST
    return response.status_code, response.data


def _answer(outcome, dedup_key) -> dict:
    if not isinstance(outcome, IngestResult):
        code, detail = _failure(outcome)
        return {"status": code, "errors": detail}
    answer = {
        "status": "success",
        "change": outcome.change.pk,
        "reference": outcome.change.reference,
        "duplicate": outcome.duplicate,
        "dedup_key": dedup_key,
        "unverified_hosts": outcome.unverified_hosts,
        "warnings": outcome.warnings,
    }
    return {"status": status.HTTP_202_ACCEPTED, "result": answer}


def record_events(user, raws: list) -> list[dict]:
    """The events of a batch, each as POST /change-events would answer it (status and body), in order."""
    answers: list[dict | None] = [None] * len(raws)
    valid: list[tuple[int, ChangeEvent, str | None]] = []
    reader = EventReader()  # one query per distinct environment, routing key or service list of the batch
    for index, raw in enumerate(raws):
        try:
            if not isinstance(raw, dict):
                raise serializers.ValidationError({"non_field_errors": ["An event is a JSON object."]})
            event, key = reader.read(raw)
            valid.append((index, event, key))
        except (serializers.ValidationError, DjangoValidationError, DomainError) as exc:
            answers[index] = _answer(exc, None)
    outcomes = ingest_change_events(actor=user, events=[event for _index, event, _key in valid])
    for (index, _event, key), outcome in zip(valid, outcomes, strict=True):
        answers[index] = _answer(outcome, key)
    return [answer for answer in answers if answer is not None]


class ChangeEventBatchView(APIView):
    permission_classes = WRITE + (CanCreateChange,)
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="change_events_batch",
        summary="Send up to 500 change events at once (ingest)",
        description=__doc__,
        request=BatchRequestSerializer,
        responses={
            200: BatchAnswerSerializer,
            **errors(400, 401, 403),
            413: OpenApiResponse(ApiErrorSerializer, f"More than {MAX_BATCH} events (or a body over the size limit)."),
        },
        tags=["change-events"],
    )
    def post(self, request):
        answers = record_events(request.user, _events(request.data))
        results = [{"index": index, **answer} for index, answer in enumerate(answers)]
        accepted = [item for item in results if item["status"] == status.HTTP_202_ACCEPTED]
        answer = {
            "accepted": len(accepted),
            "duplicates": sum(1 for item in accepted if item["result"]["duplicate"]),
            "failed": len(results) - len(accepted),
            "results": results,
        }
        return Response(answer)
