import django_filters
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.inventory.models import Environment, Host, Service, Tag
from apps.platform.filters import IsoDateTimeFilter


class HostFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    environment = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Environment.objects.all(),
            field_name="environment__slug",
            to_field_name="slug",
            label="Environment",
        )
    )
    service = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Service.objects.all(),
            field_name="services__slug",
            to_field_name="slug",
            distinct=True,
            label="Service",
        )
    )
    tag = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Tag.objects.all(), field_name="tags__slug", to_field_name="slug", distinct=True, label="Tag"
        )
    )
    is_active = django_filters.BooleanFilter(label="Active")
    is_verified = django_filters.BooleanFilter(label="Verified")
    updated_since = IsoDateTimeFilter(field_name="updated", lookup_expr="gte")

    class Meta:
        model = Host
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip().lower()
        if not value:
            return queryset
        return queryset.filter(Q(hostname__startswith=value) | Q(hostname__contains=value) | Q(fqdn__icontains=value))


class ServiceFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    owner_team = django_filters.CharFilter(field_name="owner_team__slug", label="Owner team (slug)")

    class Meta:
        model = Service
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))
