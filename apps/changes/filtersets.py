"""The one filterset for changes: the HTML list, the calendar and the API all use it."""

import re

import django_filters
from django.db.models import Exists, OuterRef, Q
from django_filters.widgets import BooleanWidget
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.accounts.models import Team
from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType
from apps.changes.models import Change, ChangeHost, FreezeWindow
from apps.inventory.models import Environment, Service
from apps.platform.filters import IsoDateTimeFilter
from apps.platform.widgets import QuickSelectMultiple

_REFERENCE = re.compile(r"^\s*(?:chg-?)?(\d+)\s*$", re.IGNORECASE)


class AnyYesNoWidget(BooleanWidget):
    """true/false in any case, as the API takes them; in the filter bar the empty choice reads "Any", which is
    what it means (no filter), and submits nothing, so it makes no chip and no calendar parameter."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]


class ChangeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="Search")
    environment = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Environment.objects.all(),
            field_name="environment__slug",
            to_field_name="slug",
            label="Environment",
            widget=QuickSelectMultiple,
        )
    )
    team = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Team.objects.all(),
            field_name="team__slug",
            to_field_name="slug",
            label="Team",
            widget=QuickSelectMultiple,
        )
    )
    kind = django_filters.MultipleChoiceFilter(choices=ChangeKind.choices, widget=QuickSelectMultiple)
    status = django_filters.MultipleChoiceFilter(choices=ChangeStatus.choices, widget=QuickSelectMultiple)
    risk = django_filters.MultipleChoiceFilter(choices=ChangeRisk.choices, widget=QuickSelectMultiple)
    change_type = django_filters.MultipleChoiceFilter(
        choices=ChangeType.choices, label="Type", widget=QuickSelectMultiple
    )
    service = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Service.objects.all(),
            to_field_name="slug",
            method="filter_service",
            label="Service",
            widget=QuickSelectMultiple,
        )
    )
    host = django_filters.CharFilter(method="filter_host", label="Host")
    is_unplanned = django_filters.BooleanFilter(label="Unplanned", widget=AnyYesNoWidget)
    window_start = IsoDateTimeFilter(field_name="eff_end", lookup_expr="gt", label="Active after (ISO 8601)")
    window_end = IsoDateTimeFilter(field_name="eff_start", lookup_expr="lt", label="Active before (ISO 8601)")
    updated_since = IsoDateTimeFilter(field_name="updated", lookup_expr="gte", label="Updated since (ISO 8601)")

    class Meta:
        model = Change
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        match = _REFERENCE.match(value)
        condition = Q(title__icontains=value) | Q(artifact__icontains=value) | Q(summary__icontains=value)
        if match:
            condition |= Q(pk=int(match.group(1)))
        return queryset.filter(condition)

    def filter_service(self, queryset, name, value):
        if not value:
            return queryset
        services = Change.services.through.objects.filter(change_id=OuterRef("pk"), service__in=value)
        return queryset.filter(Exists(services))

    def filter_host(self, queryset, name, value):
        value = value.strip().lower()
        if not value:
            return queryset
        links = ChangeHost.objects.filter(change_id=OuterRef("pk"), host__hostname=value)
        return queryset.filter(Exists(links))


class FreezeWindowFilterSet(django_filters.FilterSet):
    environment = extend_schema_field(OpenApiTypes.STR)(
        django_filters.ModelMultipleChoiceFilter(
            queryset=Environment.objects.all(),
            field_name="environments__slug",
            to_field_name="slug",
            distinct=True,
            label="Environment",
        )
    )
    recurring = django_filters.BooleanFilter(method="filter_recurring", label="Recurring")

    class Meta:
        model = FreezeWindow
        fields: list[str] = []

    def filter_recurring(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(recurrence="") if value else queryset.filter(recurrence="")
