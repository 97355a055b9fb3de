"""The change-event body: PagerDuty Events API v2 change events, plus ChangePortal's own top-level fields."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.changes.api.serializers import MAX_HOSTS, resolve_services, unknown_services_message
from apps.changes.choices import ChangeKind, HostExecutionState, LinkKind
from apps.changes.models import Change
from apps.ingest.services import ChangeEvent, HostOutcome
from apps.inventory.models import Environment, Service, hostname_validator
from apps.platform.api.fields import BoundedDateTimeField, SafeJSONField, unstorable_json

STATUSES = ("completed", "failed", "in_progress")
MAX_KEY = 255


class EventPayloadSerializer(serializers.Serializer):
    summary = serializers.CharField(max_length=1024, help_text="What changed; becomes the change's title.")
    timestamp = BoundedDateTimeField(required=False, help_text="When it happened (ISO 8601; default: now).")
    source = serializers.CharField(required=False, allow_blank=True, max_length=255, help_text="Who sent it.")
    custom_details = SafeJSONField(required=False, help_text="Any JSON object; kept in the change's summary.")

    def validate_custom_details(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        return value


class EventLinkSerializer(serializers.Serializer):
    href = serializers.URLField(max_length=2000)
    text = serializers.CharField(required=False, allow_blank=True, max_length=200)


HOST_OUTCOME_SCHEMA = {
    "oneOf": [
        {"type": "string", "description": "A hostname: its state is the one the event's status implies."},
        {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 253},
                "state": {"type": "string", "enum": list(HostExecutionState.values)},
                "at": {"type": "string", "format": "date-time", "description": "Default: ended_at."},
            },
        },
    ]
}


@extend_schema_field(HOST_OUTCOME_SCHEMA)
class HostOutcomeField(serializers.Field):
    """A hostname, or ``{"name": …, "state": …, "at": …}`` for a host whose outcome differs from the event's."""

    default_error_messages = {
        "invalid": 'Give a hostname or an object {{"name": "web01", "state": "failed", "at": "<ISO 8601>"}}.',
        "unknown_keys": "Unknown keys {keys}. Allowed: name, state, at.",
        "state": f"Unknown state {{state!r}}. Valid: {', '.join(HostExecutionState.values)}.",
    }

    def to_internal_value(self, data) -> HostOutcome:
        if isinstance(data, str):
            data = {"name": data}
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            self.fail("invalid")
        unknown = sorted(set(data) - {"name", "state", "at"})
        if unknown:
            self.fail("unknown_keys", keys=", ".join(map(str, unknown)))
        name = serializers.CharField(max_length=253).run_validation(data["name"]).strip().lower()
        state = data.get("state")
        if state is not None and state not in HostExecutionState.values:
            self.fail("state", state=state)
        at = BoundedDateTimeField().run_validation(data["at"]) if data.get("at") is not None else None
        return HostOutcome(name=name, state=state, at=at)

    def to_representation(self, value):
        return value.name


class ChangeEventSerializer(serializers.Serializer):
    routing_key = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_KEY, help_text="Mapped to a service when it names one."
    )
    payload = EventPayloadSerializer()
    links = EventLinkSerializer(many=True, required=False, max_length=50)
    hosts = serializers.ListField(
        child=HostOutcomeField(),
        required=False,
        max_length=MAX_HOSTS,
        help_text="Hostnames, or objects with a host's own outcome (`state`, `at`) where it differs from the "
        "event's status; unknown hosts are created unverified (in `environment`).",
    )
    services = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=500, help_text="Service names."
    )
    environment = serializers.CharField(required=False, max_length=64, help_text="Environment slug.")
    kind = serializers.CharField(required=False, max_length=20, help_text=f"One of {', '.join(ChangeKind.values)}.")
    artifact = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.ChoiceField(
        choices=STATUSES,
        default="completed",
        error_messages={"invalid_choice": f'"{{input}}" is not a valid status. Valid: {", ".join(STATUSES)}.'},
    )
    started_at = BoundedDateTimeField(required=False, help_text="Default: payload.timestamp.")
    ended_at = BoundedDateTimeField(required=False, help_text="Default: payload.timestamp.")
    change = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Id of the planned change this event executes."
    )
    dedup_key = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_KEY, help_text="Or the Idempotency-Key header."
    )

    def validate_hosts(self, outcomes: list[HostOutcome]) -> list[HostOutcome]:
        wanted: dict[str, HostOutcome] = {}
        for outcome in outcomes:
            if not outcome.name:
                continue
            if outcome.name in wanted and wanted[outcome.name] != outcome:
                raise serializers.ValidationError(f"{outcome.name} is listed twice with different outcomes.")
            wanted[outcome.name] = outcome
        invalid = []
        for name in wanted:
            try:
                hostname_validator(name)
            except DjangoValidationError:
                invalid.append(name)
        if invalid:
            raise serializers.ValidationError(
                f"Not valid hostnames: {', '.join(invalid[:50])}. Use letters, digits, dots and hyphens."
            )
        return list(wanted.values())

    def validate_services(self, refs) -> list[Service]:
        services, unknown = self._looked_up(("services", tuple(refs)), lambda: resolve_services(refs))
        if unknown:
            raise serializers.ValidationError(unknown_services_message(unknown))
        return services

    def _looked_up(self, key: tuple, find):
        """``find()``, once per ``key`` for the serializers sharing ``context["lookups"]`` (the events of a batch)."""
        lookups = self.context.get("lookups")
        if lookups is None:
            return find()
        if key not in lookups:
            lookups[key] = find()
        return lookups[key]

    def validate_environment(self, slug) -> Environment:
        environment = self._looked_up(("environment", slug), Environment.objects.filter(slug=slug).first)
        if environment is None:
            valid = ", ".join(Environment.objects.order_by("order").values_list("slug", flat=True))
            raise serializers.ValidationError(f"Unknown environment {slug!r}. Valid: {valid}.")
        return environment

    def validate_kind(self, kind) -> str:
        if kind not in ChangeKind.values:
            raise serializers.ValidationError(f"Unknown kind {kind!r}. Valid: {', '.join(ChangeKind.values)}.")
        return kind

    def validate_change(self, pk) -> Change:
        change = Change.objects.select_related("environment").filter(pk=pk).first()
        if change is None:
            raise serializers.ValidationError(f"No change CHG-{pk}.")
        return change

    def validate(self, data):
        # The whole body is kept as received (IngestRecord.payload), unknown keys included.
        problem = unstorable_json(self.initial_data)
        if problem:
            raise serializers.ValidationError(problem)
        header_key = self.context.get("idempotency_key") or ""
        body_key = data.get("dedup_key") or ""
        if header_key and body_key and header_key != body_key:
            raise serializers.ValidationError({"dedup_key": "Differs from the Idempotency-Key header; send one."})
        data["dedup_key"] = body_key or header_key or None
        at = data["payload"].get("timestamp") or timezone.now()
        data.setdefault("started_at", at)
        data.setdefault("ended_at", at)
        if data["ended_at"] < data["started_at"]:
            raise serializers.ValidationError({"ended_at": "Cannot be before started_at."})
        return data

    def to_event(self, *, raw: dict, data: dict | None = None) -> ChangeEvent:
        data = self.validated_data if data is None else data
        services = list(data.get("services", []))
        routing_key = data.get("routing_key", "").strip()
        if routing_key and data.get("change") is None:
            routed = self._looked_up(
                ("routing_key", routing_key),
                lambda: (
                    Service.objects.filter(slug=routing_key).first() or Service.objects.filter(name=routing_key).first()
                ),
            )
            if routed is not None and routed not in services:
                services.append(routed)
        links = [
            {"kind": LinkKind.OTHER, "url": link["href"], **({"label": link["text"]} if link.get("text") else {})}
            for link in data.get("links", [])
        ]
        return ChangeEvent(
            summary=data["payload"]["summary"],
            started_at=data["started_at"],
            ended_at=data["ended_at"],
            status=data["status"],
            source=data["payload"].get("source", ""),
            custom_details=data["payload"].get("custom_details") or {},
            links=links,
            hosts=data.get("hosts", []),
            services=services,
            environment=data.get("environment"),
            kind=data.get("kind", ""),
            artifact=data.get("artifact", ""),
            change=data.get("change"),
            dedup_key=data["dedup_key"],
            raw=raw,
        )


class EventReader:
    """Reads the events of a batch with one ChangeEventSerializer: DRF deep-copies a serializer's declared fields
    for every instance, which costs more than validating a small event. Each event is still checked and refused
    (serializers.ValidationError, the body is_valid raises) on its own; lookups are shared (``_looked_up``)."""

    def __init__(self):
        self.serializer = ChangeEventSerializer(context={"idempotency_key": "", "lookups": {}})

    def read(self, raw: dict) -> tuple[ChangeEvent, str | None]:
        """The event and its dedup key."""
        self.serializer.initial_data = raw  # what validate() keeps as received
        data = self.serializer.run_validation(raw)
        return self.serializer.to_event(raw=raw, data=data), data["dedup_key"]


class ChangeEventAcceptedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["success"])
    change = serializers.IntegerField(help_text="The change recorded, or the planned change reported on.")
    reference = serializers.CharField()
    duplicate = serializers.BooleanField(help_text="True when this dedup_key was seen before: nothing was created.")
    dedup_key = serializers.CharField(allow_null=True)
    unverified_hosts = serializers.ListField(child=serializers.CharField(), help_text="Hosts awaiting confirmation.")
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Flags: unplanned, not approved, outside the window, unknown hosts."
    )
