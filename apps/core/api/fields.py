"""Input fields shared by the API serializers."""

import re
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


# Deep enough for any real event's details; deeper bodies are refused before anything walks them recursively.
MAX_JSON_DEPTH = 64
_SURROGATE = re.compile("[\ud800-\udfff]")


def contains_nul(value: str) -> bool:
    return "\x00" in value


def unstorable_json(value) -> str | None:
    """Why PostgreSQL could not store this parsed JSON (as text or jsonb), or None if it can.

    U+0000 and lone surrogates (legal JSON escapes such as \\ud800) are refused by PostgreSQL; refusing them at the
    door gives a 400 instead of a 500. The walk is iterative with a depth limit, so a hostile nesting cannot raise
    RecursionError here or later in whatever serializes the value.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"Nested deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(item, str):
            if "\x00" in item:
                return "Null characters (U+0000) are not allowed."
            if _SURROGATE.search(item):
                return "Surrogate characters (U+D800 to U+DFFF) are not allowed anywhere."
        elif isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple):
            stack.extend((part, depth + 1) for part in item)
    return None


class SafeJSONField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        problem = unstorable_json(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value
