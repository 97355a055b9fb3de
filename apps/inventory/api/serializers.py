from rest_framework import serializers

from apps.accounts.api.serializers import TeamBriefSerializer
from apps.inventory.models import Environment, Host, Service, Tag, hostname_validator


class EnvironmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Environment
        fields = ["id", "slug", "name", "is_production"]


class EnvironmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Environment
        fields = ["id", "slug", "name", "order", "is_production", "description"]


class ServiceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "slug", "name"]


class ServiceSerializer(serializers.ModelSerializer):
    owner_team = TeamBriefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Service
        fields = ["id", "slug", "name", "description", "owner_team"]


class HostSerializer(serializers.ModelSerializer):
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
        value = value.strip().lower()
        hostname_validator(value)
        existing = Host.objects.filter(hostname=value)
        if self.instance is not None:
            existing = existing.exclude(pk=self.instance.pk)
        if existing.exists():
            raise serializers.ValidationError(f"A host named {value} already exists.")
        return value
