from django.conf import settings
from django.db.models import Q
from rest_framework import serializers

from apps.accounts.api.serializers import TeamBriefSerializer
from apps.accounts.models import Team
from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType, HostExecutionState, LinkKind
from apps.changes.models import Change, ChangeHost
from apps.inventory.api.serializers import EnvironmentBriefSerializer, ServiceBriefSerializer
from apps.inventory.models import Environment, Host, Service
from apps.platform.api.fields import BoundedDateTimeField

MAX_HOSTS = 10000
MAX_LISTED = 50


def _listing(values) -> str:
    values = sorted(values)
    more = f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else ""
    return ", ".join(values[:MAX_LISTED]) + more


def resolve_hostnames(names: list[str]) -> tuple[list[Host], list[str]]:
    """Hosts named (case-insensitive, duplicates ignored) and the names that matched none."""
    wanted = list(dict.fromkeys(name.strip().lower() for name in names if name.strip()))
    hosts = list(Host.objects.filter(hostname__in=wanted))
    found = {host.hostname for host in hosts}
    return hosts, [name for name in wanted if name not in found]


def resolve_services(refs: list[str]) -> tuple[list[Service], list[str]]:
    """Services given by slug or name, and the references that matched none."""
    wanted = list(dict.fromkeys(ref.strip() for ref in refs if ref.strip()))
    services = list(Service.objects.filter(Q(slug__in=wanted) | Q(name__in=wanted)))
    known = {service.slug for service in services} | {service.name for service in services}
    return services, [ref for ref in wanted if ref not in known]


def unknown_services_message(unknown: list[str]) -> str:
    valid = Service.objects.order_by("slug").values_list("slug", flat=True)
    return f"Unknown services: {_listing(unknown)}. Valid: {_listing(valid) or 'none defined'}."


class LinkSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LinkKind.choices, default=LinkKind.OTHER)
    url = serializers.URLField(max_length=2000)
    label = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ChangeHostSerializer(serializers.ModelSerializer):
    """One host of a change with the change's execution state on it."""

    id = serializers.IntegerField(source="host_id", read_only=True)
    hostname = serializers.CharField(source="host.hostname", read_only=True)

    class Meta:
        model = ChangeHost
        fields = ["id", "hostname", "state", "state_changed_at", "note"]


class ChangeSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    web_url = serializers.SerializerMethodField()
    environment = EnvironmentBriefSerializer(read_only=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    requester = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    services = ServiceBriefSerializer(many=True, read_only=True)
    hosts = ChangeHostSerializer(source="host_links", many=True, read_only=True)
    links = LinkSerializer(many=True, read_only=True)

    class Meta:
        model = Change
        fields = [
            "id",
            "reference",
            "web_url",
            "title",
            "summary",
            "kind",
            "change_type",
            "risk",
            "status",
            "environment",
            "team",
            "requester",
            "services",
            "hosts",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "eff_start",
            "eff_end",
            "artifact",
            "links",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "is_unplanned",
            "needs_freeze_exception",
            "freeze_justification",
            "version",
            "created",
            "updated",
        ]
        read_only_fields = fields

    def get_web_url(self, change: Change) -> str:
        return f"{settings.SITE_URL}{change.get_absolute_url()}"


class ChangeFeedItemSerializer(ChangeSerializer):
    """A change in the feed (its own name, so the cursor-paginated page gets its own schema component)."""


class ChangeWriteSerializer(serializers.Serializer):
    """A new change (or, with ``version``, an edit). Written through apps.changes.services, never saved here."""

    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    kind = serializers.ChoiceField(choices=ChangeKind.choices, required=False)
    change_type = serializers.ChoiceField(choices=ChangeType.choices, required=False)
    risk = serializers.ChoiceField(choices=ChangeRisk.choices, required=False)
    environment = serializers.SlugRelatedField(slug_field="slug", queryset=Environment.objects.all())
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True)
    planned_start = BoundedDateTimeField()
    planned_end = BoundedDateTimeField()
    artifact = serializers.CharField(required=False, allow_blank=True, max_length=200)
    links = LinkSerializer(many=True, required=False)
    implementation_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    backout_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    test_plan = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    freeze_justification = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    hosts = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=MAX_HOSTS,
        help_text="Hostnames. Unknown names are refused (400), never dropped.",
    )
    services = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=500, help_text="Service slugs or names."
    )
    submit = serializers.BooleanField(required=False, help_text="Submit for approval at once.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, help_text="Kept in the activity.")

    def validate_hosts(self, names):
        hosts, unknown = resolve_hostnames(names)
        if unknown:
            raise serializers.ValidationError(
                f"Unknown hosts: {_listing(unknown)}. Add them to the inventory first, or report an executed "
                "change through /api/v1/change-events, which records unknown hosts as unverified."
            )
        return hosts

    def validate_services(self, refs):
        services, unknown = resolve_services(refs)
        if unknown:
            raise serializers.ValidationError(unknown_services_message(unknown))
        return services

    def validate_links(self, links):
        return [{key: value for key, value in dict(link).items() if value != ""} for link in links]

    def split(self) -> tuple[dict, dict]:
        """(model fields, service options: hosts, services, submit, note, version)."""
        fields = dict(self.validated_data)
        options = {
            name: fields.pop(name) for name in ("hosts", "services", "submit", "note", "version") if name in fields
        }
        return fields, options


class ChangeUpdateSerializer(ChangeWriteSerializer):
    version = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text="The version you read; a stale version is refused with 409."
    )

    def validate(self, attrs):
        if "version" not in attrs:  # also on PATCH, where DRF skips required fields
            raise serializers.ValidationError({"version": "Required: send the version you read (409 if stale)."})
        return attrs


class TransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=ChangeStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    confirm_incomplete = serializers.BooleanField(
        required=False, default=False, help_text="Complete although some hosts are pending or failed (needs a note)."
    )


class HostStatesSerializer(serializers.Serializer):
    hosts = serializers.ListField(child=serializers.CharField(max_length=253), min_length=1, max_length=MAX_HOSTS)
    state = serializers.ChoiceField(choices=HostExecutionState.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class HostStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=HostExecutionState.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class HostStatesResultSerializer(serializers.Serializer):
    updated = serializers.ListField(child=serializers.CharField(), help_text="Hosts whose state changed.")
    hosts = ChangeHostSerializer(many=True, help_text="Every host of the change with its state.")
