"""Input fields shared by the API serializers."""

from datetime import UTC, datetime

from rest_framework import serializers

# Window arithmetic (buffers, recurrences, the longest change) must not overflow datetime's range.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class BoundedDateTimeField(serializers.DateTimeField):
    """ISO 8601; without an offset it is read in the server's zone. Years 1970 to 2199."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not EARLIEST <= parsed < LATEST:
            raise serializers.ValidationError("Give a time between 1970 and 2199.")
        return parsed


def contains_nul(value) -> bool:
    """PostgreSQL cannot store U+0000 in text or JSON: refuse it at the door instead of answering 500."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(item) for item in value)
    return False


class SafeJSONField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if contains_nul(value):
            raise serializers.ValidationError("Null characters (U+0000) are not allowed.")
        return value
