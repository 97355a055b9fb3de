"""POST /v2/change/enqueue: PagerDuty's change-event endpoint, answered the way PagerDuty answers.

The credential is the body's ``routing_key``: no session, no CSRF token, no Authorization header. Every answer is
JSON in PagerDuty's shape, errors included (``{"status": "invalid event", "message": …, "errors": […]}``), so an
unmodified PagerDuty client reports our errors as it would report PagerDuty's. No content negotiation: the
``Accept: application/vnd.pagerduty+json;version=2`` some clients send gets the same JSON.
"""

import json
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from apps.changes.exceptions import ChangeError
from apps.ingest import keys, pagerduty
from apps.ingest.services import ingest_change_event
from apps.platform.actors import Actor
from apps.platform.api.fields import unstorable_json

INVALID = "invalid event"


def pagerduty_error(status: int, message: str, errors: list[str] | None = None, **headers) -> JsonResponse:
    body = {"status": INVALID if status < 500 else "error", "message": message, "errors": errors or [message]}
    if status == 429:
        body = {"status": "throttle event", "message": message}
    return JsonResponse(body, status=status, headers=headers)


def _throttled(key) -> bool:
    """PagerDuty's own limit: so many events a minute per integration key (PAGERDUTY_RATE_PER_MINUTE)."""
    window = int(time.time() // 60)
    counter = f"pagerduty-rate:{key.key_hash[:16]}:{window}"
    cache.add(counter, 0, timeout=120)
    try:
        count = cache.incr(counter)
    except ValueError:  # the cache is down (it fails soft) or evicted the counter: do not refuse for that
        return False
    return count > settings.PAGERDUTY_RATE_PER_MINUTE


def _parse(request) -> tuple[dict | None, JsonResponse | None]:
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > pagerduty.MAX_BODY_BYTES:
        return None, pagerduty_error(413, f"The event is larger than {pagerduty.MAX_BODY_BYTES} bytes.")
    raw = request.body
    if len(raw) > pagerduty.MAX_BODY_BYTES:
        return None, pagerduty_error(413, f"The event is larger than {pagerduty.MAX_BODY_BYTES} bytes.")
    if not raw.strip():
        return None, pagerduty_error(400, "Event object is invalid", ["The request body is empty."])
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return None, pagerduty_error(400, "Event object is invalid", ["The request body is not valid JSON."])
    if not isinstance(body, dict):
        return None, pagerduty_error(400, "Event object is invalid", ["The event must be a JSON object."])
    problem = unstorable_json(body)
    if problem:
        return None, pagerduty_error(400, "Event object is invalid", [problem])
    return body, None


@csrf_exempt
def change_enqueue(request):
    if request.method != "POST":
        return pagerduty_error(405, f"Method {request.method} not allowed: send the event with POST.", Allow="POST")
    body, refusal = _parse(request)
    if refusal is not None:
        return refusal
    key = keys.active_key(body.get("routing_key"))
    if key is None:
        return pagerduty_error(
            400, "Event object is invalid", ["'routing_key' is missing, unknown or revoked: give an integration key."]
        )
    if _throttled(key):
        return pagerduty_error(429, "Requests for this service are arriving too quickly. Please retry later.")
    event = pagerduty.PagerDutyChangeEventSerializer(data=body)
    if not event.is_valid():
        return pagerduty_error(400, "Event object is invalid", pagerduty.flat_errors(event.errors))
    try:
        robot = Actor.automatic(f"integration key “{key.name}”")
        result = ingest_change_event(actor=robot, event=pagerduty.to_event(key, event.validated_data, raw=body))
    except DjangoValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"event": exc.messages}
        return pagerduty_error(400, "Event object is invalid", pagerduty.flat_errors(messages))
    except ChangeError as exc:
        return pagerduty_error(exc.http_status, exc.message)
    return JsonResponse(
        {
            "status": "success",
            "message": "Change event processed",
            "change": result.change.pk,
            "reference": result.change.reference,
            "duplicate": result.duplicate,
            "warnings": result.warnings,
        },
        status=202,
    )
