"""Filters shared by the filtersets (pages, calendar and API alike)."""

from datetime import UTC

import django_filters
from django import forms
from django.utils import timezone
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, turned into UTC: PostgreSQL refuses a UTC offset beyond ±15:59, which ISO 8601 (and Python) allow
    up to ±23:59, so ``2026-01-01T00:00+18:37`` would reach the query as it is and fail there with a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None or timezone.is_naive(value):
            return value
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is before the first representable instant
            raise forms.ValidationError("Give a time between the years 1 and 9999.", code="overflow") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
