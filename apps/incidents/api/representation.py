"""The suspects JSON built directly: the same output as the declared DRF fields, without their per-field cost.

A busy host lists up to 200 suspects with ~30 values each; DRF's generic machinery (source lookups, callable
checks, a time-zone lookup per datetime, a URL reverse per change) took longer than ranking them. Each value
below mirrors what the field of the same name in apps.incidents.api.serializers.SuspectSerializer would
produce; tests/incidents/test_api_representation.py compares both on every kind of suspect.
"""

from datetime import UTC

from django.conf import settings
from django.utils import timezone
from rest_framework.fields import DateTimeField
from rest_framework.settings import api_settings

from apps.incidents.suspects import Suspect
from apps.platform.reversing import url_maker


def change_url(change_id: int) -> str:
    return url_maker("changes:change_detail")(change_id)


class DateTimes:
    """DRF's DateTimeField output (ISO 8601 in the active time zone, 'Z' for UTC) with the zone looked up once."""

    def __init__(self):
        output_format = api_settings.DATETIME_FORMAT
        self._field = None if output_format and output_format.lower() == "iso-8601" else DateTimeField()
        self._zone = timezone.get_current_timezone() if settings.USE_TZ else None

    def __call__(self, value):
        if not value:
            return None
        if self._field is not None:  # a custom DATETIME_FORMAT: let DRF apply it
            return self._field.to_representation(value)
        if self._zone is not None:
            value = value.astimezone(self._zone) if timezone.is_aware(value) else timezone.make_aware(value, self._zone)
        elif timezone.is_aware(value):
            value = timezone.make_naive(value, UTC)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


def _text(value):
    return None if value is None else str(value)


def mark_representation(mark, when: DateTimes):
    if mark is None:
        return None
    return {
        "verdict": _text(mark.verdict),
        "note": _text(mark.note),
        "marked_by": _text(mark.marked_by_name),
        "created": when(mark.created),
    }


def suspect_representation(suspect: Suspect, when: DateTimes | None = None) -> dict:
    when = when or DateTimes()
    change = suspect.change
    return {
        "id": change.pk,
        "reference": change.reference,
        "title": _text(change.title),
        "kind": _text(change.kind),
        "status": _text(change.status),
        "change_type": _text(change.change_type),
        "risk": _text(change.risk),
        "environment": _text(change.environment.slug),
        "artifact": _text(change.artifact),
        "is_unplanned": bool(change.is_unplanned),
        "url": change_url(change.pk),
        "planned_start": when(change.planned_start),
        "planned_end": when(change.planned_end),
        "actual_start": when(change.actual_start),
        "actual_end": when(change.actual_end),
        "start": when(change.eff_start),
        "end": when(change.eff_end),
        "scope": _text(suspect.scope),
        "via_services": [_text(name) for name in suspect.via_services],
        "host": _text(suspect.host.hostname),
        "host_state": _text(suspect.host_state),
        "on_host": _text(suspect.condition),
        "host_state_changed_at": when(suspect.host_state_at),
        "host_states": {str(state): int(count) for state, count in suspect.state_counts.items()},
        "hosts_in_scope": int(suspect.hosts_in_scope),
        "score": int(suspect.score),
        "summary": _text(suspect.summary),
        "reasons": [
            {"factor": _text(factor.name), "points": int(factor.points), "text": _text(factor.text)}
            for factor in suspect.reasons
        ],
        "drift": bool(suspect.drift),
        "in_window": bool(suspect.in_window),
        "mark": mark_representation(suspect.mark, when),
    }
