from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.incidents.api.representation import suspect_representation
from apps.incidents.models import DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS
from apps.incidents.suspects import MAX_LISTED

DEFAULT_LIMIT = 25  # per list; the totals say how many more there are
MAX_LIMIT = MAX_LISTED  # what the bridge pages show


class SuspectQuerySerializer(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 time the trouble started, e.g. 2026-11-27T07:00:00Z (default: now). Give an offset "
        "(Z or +01:00); without one it is read in your profile's time zone, else the server's.",
    )
    hours = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_WINDOW_HOURS,
        default=DEFAULT_WINDOW_HOURS,
        help_text=f"How many hours before `at` to look (1 to {MAX_WINDOW_HOURS}, default {DEFAULT_WINDOW_HOURS}).",
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        default=DEFAULT_LIMIT,
        help_text=f"How many suspects, and how many `after` entries, to list (1 to {MAX_LIMIT}, default "
        f"{DEFAULT_LIMIT}); `total_suspects` and `total_after` count them all.",
    )


class IncidentSuspectQuerySerializer(SuspectQuerySerializer):
    """The incident fixes `at` and `hours` itself; only the list length is chosen."""

    at = None
    hours = None


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ParameterErrorSerializer(ErrorSerializer):
    parameter = serializers.CharField(help_text="The query parameter that was refused (at, hours or limit).")


class ReasonSerializer(serializers.Serializer):
    factor = serializers.CharField(source="name")
    points = serializers.IntegerField()
    text = serializers.CharField()


class MarkSerializer(serializers.Serializer):
    verdict = serializers.CharField()
    note = serializers.CharField()
    marked_by = serializers.CharField(source="marked_by_name")
    created = serializers.DateTimeField()


class SuspectSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="change.pk")
    reference = serializers.CharField(source="change.reference")
    title = serializers.CharField(source="change.title")
    kind = serializers.CharField(source="change.kind")
    status = serializers.CharField(source="change.status")
    change_type = serializers.CharField(source="change.change_type")
    risk = serializers.CharField(source="change.risk")
    environment = serializers.CharField(source="change.environment.slug")
    artifact = serializers.CharField(source="change.artifact")
    is_unplanned = serializers.BooleanField(source="change.is_unplanned")
    url = serializers.CharField(source="change.get_absolute_url")
    planned_start = serializers.DateTimeField(source="change.planned_start")
    planned_end = serializers.DateTimeField(source="change.planned_end")
    actual_start = serializers.DateTimeField(source="change.actual_start", allow_null=True)
    actual_end = serializers.DateTimeField(source="change.actual_end", allow_null=True)
    start = serializers.DateTimeField(source="change.eff_start", help_text="Effective start: actual, else planned.")
    end = serializers.DateTimeField(source="change.eff_end", help_text="Effective end: actual, else planned.")
    scope = serializers.ChoiceField(choices=["direct", "service", "environment"])
    via_services = serializers.ListField(child=serializers.CharField())
    host = serializers.CharField(source="host.hostname", help_text="The host it was ranked for (the worst one).")
    host_state = serializers.CharField(
        allow_null=True, help_text="Its execution state on that host; null when it reaches the host indirectly."
    )
    on_host = serializers.CharField(
        source="condition",
        allow_null=True,
        help_text="host_state, or 'missing' when pending there while other hosts have it applied.",
    )
    host_state_changed_at = serializers.DateTimeField(source="host_state_at", allow_null=True)
    host_states = serializers.DictField(
        source="state_counts", child=serializers.IntegerField(), help_text="All its hosts, counted by state."
    )
    hosts_in_scope = serializers.IntegerField(help_text="How many of the looked-up hosts it reaches.")
    score = serializers.IntegerField()
    summary = serializers.CharField()
    reasons = ReasonSerializer(many=True)
    drift = serializers.BooleanField(help_text="Its artifact reached production but no QA/dev host of the service.")
    in_window = serializers.BooleanField(help_text="False: older, listed only for its production-only artifact.")
    mark = MarkSerializer(allow_null=True, help_text="The bridge's latest verdict (incident suspects only).")

    def to_representation(self, instance):
        # The fields above describe the schema; the JSON is built directly (the same output, see
        # tests/incidents/test_api_representation.py): DRF's per-field work cost more than the ranking itself.
        return suspect_representation(instance)


class HostBriefSerializer(serializers.Serializer):
    hostname = serializers.CharField()
    environment = serializers.CharField(source="environment.slug")
    services = serializers.SerializerMethodField()

    def get_services(self, host) -> list[str]:
        known = self.context.get("host_services")  # already looked up by the suspects report
        if known is not None:
            return known
        return sorted(service.name for service in host.services.all())


class ReportSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    hours = serializers.IntegerField()
    window_start = serializers.DateTimeField(source="window.start")
    total_suspects = serializers.IntegerField()
    total_after = serializers.IntegerField()
    suspects = SuspectSerializer(many=True, help_text="Ranked, most suspicious first.")
    after = SuspectSerializer(
        many=True, help_text="Changes that started after `at`: not suspects; in order of their start."
    )


class HostSuspectsSerializer(ReportSerializer):
    host = HostBriefSerializer()


class IncidentBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    severity = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)


class IncidentSuspectsSerializer(ReportSerializer):
    incident = serializers.SerializerMethodField()
    hosts = serializers.SerializerMethodField(help_text="The affected hosts the suspects were merged over.")

    @extend_schema_field(IncidentBriefSerializer)
    def get_incident(self, report):
        return IncidentBriefSerializer(self.context["incident"]).data

    def get_hosts(self, report) -> list[str]:
        return [host.hostname for host in report.hosts]
