from rest_framework import serializers

from apps.accounts.api.serializers import TeamBriefSerializer
from apps.accounts.models import Team
from apps.inventory.models import Environment, Host, Service, Tag, hostname_validator
from apps.platform.api.serializers import BuiltOnceModelSerializer


class EnvironmentBriefSerializer(BuiltOnceModelSerializer):
    class Meta:
        model = Environment
        fields = ["id", "slug", "name", "is_production"]


class EnvironmentSerializer(BuiltOnceModelSerializer):
    class Meta:
        model = Environment
        fields = ["id", "slug", "name", "order", "is_production", "description"]


class ServiceBriefSerializer(BuiltOnceModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]


class ServiceSerializer(BuiltOnceModelSerializer):
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Service
        fields = ["id", "slug", "name", "description", "owner_team"]


class ServiceWriteSerializer(serializers.ModelSerializer):
    """Create or edit a service (staff or an inventory token). The owner team is given by slug."""

    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Service
        fields = ["name", "slug", "description", "owner_team"]


class HostSerializer(BuiltOnceModelSerializer):
    environment = EnvironmentBriefSerializer(read_only=True)
    services = ServiceBriefSerializer(many=True, read_only=True)
    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="slug")

    class Meta:
        model = Host
        fields = [
            "id",
            "hostname",
            "fqdn",
            "ip_address",
            "environment",
            "services",
            "tags",
            "is_active",
            "is_verified",
            "created",
            "updated",
        ]


class HostWriteSerializer(serializers.ModelSerializer):
    """Create or edit a host (staff). Environment, services and tags are given by slug."""

    hostname = serializers.CharField(max_length=253, help_text="Stored in lower case.")
    fqdn = serializers.CharField(max_length=253, required=False, allow_blank=True)
    environment = serializers.SlugRelatedField(slug_field="slug", queryset=Environment.objects.all())
    services = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), many=True, required=False
    )
    tags = serializers.SlugRelatedField(slug_field="slug", queryset=Tag.objects.all(), many=True, required=False)

    class Meta:
        model = Host
        fields = ["hostname", "fqdn", "ip_address", "environment", "services", "tags", "is_active", "is_verified"]

    def validate_hostname(self, value: str) -> str:
        value = _clean_hostname(value)
        existing = Host.objects.filter(hostname=value)
        if self.instance is not None:
            existing = existing.exclude(pk=self.instance.pk)
        if existing.exists():
            raise serializers.ValidationError(f"A host named {value} already exists.")
        return value


def _clean_hostname(value: str) -> str:
    value = value.strip().lower()
    hostname_validator(value)
    return value


class BulkHostItemSerializer(serializers.Serializer):
    """One host of a bulk upsert: the fields of the host write serializer, slugs for environment, services and tags.
    Checked for shape only (no query); the names are resolved for the whole batch at once."""

    hostname = serializers.CharField(max_length=253, help_text="Stored in lower case; the key of the upsert.")
    fqdn = serializers.CharField(max_length=253, required=False, allow_blank=True)
    ip_address = serializers.IPAddressField(required=False, allow_null=True)
    environment = serializers.CharField(max_length=64, required=False, help_text="Required for a new host.")
    services = serializers.ListField(child=serializers.CharField(max_length=100), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    is_active = serializers.BooleanField(required=False)
    is_verified = serializers.BooleanField(required=False)

    def validate_hostname(self, value: str) -> str:
        return _clean_hostname(value)


class BulkHostsRequestSerializer(serializers.Serializer):
    hosts = BulkHostItemSerializer(many=True, help_text="1 to 1000 hosts, upserted by hostname.")


class BulkHostResultSerializer(serializers.Serializer):
    hostname = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class BulkHostsResponseSerializer(serializers.Serializer):
    applied = serializers.BooleanField(help_text="False when any item was invalid: then nothing was written.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    results = BulkHostResultSerializer(many=True)
