"""Input fields shared by the API serializers."""

import json
import re
from dataclasses import dataclass
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


def unstorable_text(value: str) -> str | None:
    """Why PostgreSQL could not store this text, or None if it can."""
    if "\x00" in value:
        return "Null characters (U+0000) are not allowed."
    if _SURROGATE.search(value):
        return "Surrogate characters (U+D800 to U+DFFF) are not allowed anywhere."
    return None


@dataclass(frozen=True)
class Unstorable:
    """Where in a parsed JSON value something cannot be stored: ``path`` holds the keys and indexes leading to it
    (empty for the value itself); ``in_name`` when it is the last key itself, not the value under it."""

    path: tuple[str | int, ...]
    problem: str
    in_name: bool = False

    def location(self) -> str:
        """``links[0].label``; a key that cannot be stored is shown escaped, so the answer can always be encoded."""
        text = ""
        for position, part in enumerate(self.path):
            if isinstance(part, int):
                text += f"[{part}]"
            else:
                name = json.dumps(part) if unstorable_text(part) else part
                text += f".{name}" if position else name
        return text


def find_unstorable(value) -> Unstorable | None:
    """A place where this parsed JSON holds what PostgreSQL could not store, as text or jsonb (the first one found,
    walking in document order), or None if it can all be stored.

    U+0000 and lone surrogates (legal JSON escapes such as \\ud800) are refused by PostgreSQL; refusing them at the
    door gives a 400 instead of a 500. The walk is iterative with a depth limit, so a hostile nesting cannot raise
    RecursionError here or later in whatever serializes the value. Each pending item keeps a link to its parent's
    trail rather than a copy of its path, so a wide body costs no more than its size.
    """
    stack = [(value, 0, None)]  # (item, depth, trail): trail is (key or index, parent trail)
    while stack:
        item, depth, trail = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return Unstorable(_path(trail), f"Nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(item, str):
            problem = unstorable_text(item)
            if problem:
                return Unstorable(_path(trail), problem)
        elif isinstance(item, dict):
            for key in item:
                problem = unstorable_text(key) if isinstance(key, str) else None
                if problem:
                    return Unstorable(_path((key, trail)), problem, in_name=True)
            stack.extend((part, depth + 1, (key, trail)) for key, part in reversed(item.items()))
        elif isinstance(item, list | tuple):
            stack.extend((item[index], depth + 1, (index, trail)) for index in range(len(item) - 1, -1, -1))
    return None


def _path(trail) -> tuple[str | int, ...]:
    parts = []
    while trail is not None:
        part, trail = trail
        parts.append(part)
    return tuple(reversed(parts))


def unstorable_json(value) -> str | None:
    """Why PostgreSQL could not store this parsed JSON (as text or jsonb), or None if it can (see find_unstorable)."""
    found = find_unstorable(value)
    return found.problem if found else None


class SafeJSONField(serializers.JSONField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        problem = unstorable_json(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value
