"""PagerDuty Events API v2 change events, unchanged: the body PagerDuty's clients send to /v2/change/enqueue.

Only ``routing_key`` (an integration key, apps.ingest.keys) and ``payload.summary`` are required. The key says
where the change goes (service, environment, team, kind) and where the event names its hosts (``host_field``).
``custom_details`` may also carry ChangePortal hints: ``environment`` (a slug), ``kind`` and ``artifact``; a hint
that names nothing known is ignored with a warning, never an error, so a body written for PagerDuty always works.
``images`` and unknown keys are kept in the stored event and otherwise ignored.
"""

import hashlib
import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from rest_framework import serializers

from apps.changes.choices import ChangeKind, LinkKind
from apps.ingest.api.serializers import EventLinkSerializer, HostOutcomeField
from apps.ingest.models import IntegrationKey
from apps.ingest.services import ChangeEvent, HostOutcome
from apps.inventory.models import Environment, hostname_validator
from apps.platform.api.fields import BoundedDateTimeField, SafeJSONField

MAX_BODY_BYTES = 512 * 1024
MAX_HOSTS = 5000
# The `pagerduty` package (7.x) appends "Z" to an offset it already wrote ("...+00:00Z"): read it as meant.
_OFFSET_THEN_Z = re.compile(r"([+-]\d\d:?\d\d)Z$")


class PagerDutyTimestampField(BoundedDateTimeField):
    def to_internal_value(self, value):
        if isinstance(value, str):
            value = _OFFSET_THEN_Z.sub(r"\1", value.strip())
        return super().to_internal_value(value)


class PayloadSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=1024)
    timestamp = PagerDutyTimestampField(required=False)
    source = serializers.CharField(required=False, allow_blank=True, max_length=255)
    custom_details = SafeJSONField(required=False)


class PagerDutyChangeEventSerializer(serializers.Serializer):
    routing_key = serializers.CharField(max_length=255)
    payload = PayloadSerializer()
    links = EventLinkSerializer(many=True, required=False, max_length=50)


def flat_errors(errors, prefix: str = "") -> list[str]:
    """DRF's nested errors as PagerDuty's flat list: "payload.summary: This field is required."."""
    if isinstance(errors, dict):
        return [
            line
            for name, inner in errors.items()
            for line in flat_errors(
                inner, f"{prefix.rstrip('.')}[{name}]." if isinstance(name, int) else f"{prefix}{name}."
            )
        ]
    if isinstance(errors, list):
        if all(isinstance(item, str) for item in errors):
            return [f"{prefix.rstrip('.')}: {item}" if prefix else str(item) for item in errors]
        return [
            line
            for position, inner in enumerate(errors)
            for line in flat_errors(inner, f"{prefix.rstrip('.')}[{position}].")
        ]
    return [f"{prefix.rstrip('.')}: {errors}"]


def fingerprint(key: IntegrationKey, body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{key.pk}:{canonical}".encode()).hexdigest()


def _at_path(path: str, payload: dict, custom_details: dict):
    if path == "payload.source":
        return payload.get("source")
    return custom_details.get(path.removeprefix("custom_details."))


def _hosts(key: IntegrationKey, payload: dict, custom_details: dict, notes: list[str]) -> list[HostOutcome]:
    if not key.host_field:
        return []
    value = _at_path(key.host_field, payload, custom_details)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        # payload.source is one name; a custom_details string may list several.
        items = [value.strip()] if key.host_field == "payload.source" else re.split(r"[\s,]+", value.strip())
    else:
        items = value
    if not isinstance(items, list):
        notes.append(f"{key.host_field} is neither a list nor a string of hostnames: no hosts linked.")
        return []
    outcomes, invalid = {}, []
    for item in items[:MAX_HOSTS]:
        try:
            outcome = HostOutcomeField().run_validation(item)
            hostname_validator(outcome.name)
        except (serializers.ValidationError, DjangoValidationError):
            invalid.append(str(item)[:100])
            continue
        if outcome.name:
            outcomes.setdefault(outcome.name, outcome)
    if invalid:
        notes.append(f"Not hostnames, so not linked (from {key.host_field}): {', '.join(invalid[:20])}.")
    if len(items) > MAX_HOSTS:
        notes.append(f"Only the first {MAX_HOSTS} hosts of {key.host_field} were linked.")
    return list(outcomes.values())


def _hint(custom_details: dict, name: str, valid, notes: list[str], fallback):
    value = custom_details.get(name)
    if value is None or value == "":
        return fallback
    if isinstance(value, str) and value in valid:
        return valid[value]
    notes.append(f"custom_details.{name} {str(value)[:100]!r} is not one of {', '.join(valid)}: used {fallback}.")
    return fallback


def to_event(key: IntegrationKey, data: dict, *, raw: dict) -> ChangeEvent:
    """The change event ingest records: an unplanned, completed change at the event's timestamp."""
    payload = data["payload"]
    custom = payload.get("custom_details")
    custom_details = custom if isinstance(custom, dict) else ({"details": custom} if custom is not None else {})
    notes: list[str] = []
    environments = {env.slug: env for env in Environment.objects.order_by("order")}
    environment = _hint(custom_details, "environment", environments, notes, key.environment)
    kind = _hint(custom_details, "kind", {value: value for value in ChangeKind.values}, notes, key.kind)
    artifact = custom_details.get("artifact")
    at = payload.get("timestamp") or timezone.now()
    links = [
        {"kind": LinkKind.OTHER, "url": link["href"], **({"label": link["text"]} if link.get("text") else {})}
        for link in data.get("links", [])
    ]
    return ChangeEvent(
        summary=payload["summary"],
        started_at=at,
        ended_at=at,
        source=payload.get("source", ""),
        custom_details=custom_details,
        links=links,
        hosts=_hosts(key, payload, custom_details, notes),
        services=[key.service] if key.service_id else [],
        environment=environment,
        kind=kind,
        artifact=artifact[:200] if isinstance(artifact, str) else "",
        team=key.team,
        integration=key,
        fingerprint=fingerprint(key, raw),
        raw=raw,
        notes=notes,
    )
