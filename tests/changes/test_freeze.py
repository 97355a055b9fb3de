from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.changes.freeze import freeze_occurrences, occurrences_of
from apps.changes.models import FreezeWindow
from tests.factories import FreezeWindowFactory, environment


def test_one_off_window_overlap_edges():
    window = FreezeWindow(name="x", start=datetime(2026, 12, 1, tzinfo=UTC), end=datetime(2026, 12, 2, tzinfo=UTC))
    assert occurrences_of(window, datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)) == []
    assert len(occurrences_of(window, datetime(2026, 12, 1, 23, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC))) == 1


def test_weekly_rule_keeps_local_wall_clock_across_dst(settings):
    settings.TIME_ZONE = "Europe/Paris"
    paris = ZoneInfo("Europe/Paris")
    first = datetime(2026, 10, 17, 0, 0, tzinfo=paris)  # a Saturday in summer time
    window = FreezeWindow(name="sat", start=first, end=first + timedelta(hours=6), recurrence="FREQ=WEEKLY;BYDAY=SA")
    found = occurrences_of(window, datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 5, tzinfo=UTC))
    local_starts = [occurrence.start.astimezone(paris) for occurrence in found]
    assert [(start.day, start.hour) for start in local_starts] == [(24, 0), (31, 0)]
    assert {occurrence.start.utcoffset() for occurrence in found} == {timedelta(hours=2), timedelta(hours=1)}


def test_bad_rule_is_a_validation_error():
    start = datetime(2026, 12, 1, tzinfo=UTC)
    window = FreezeWindow(name="x", start=start, end=start + timedelta(hours=1), recurrence="FREQ=SOMETIMES")
    with pytest.raises(ValidationError) as excinfo:
        window.clean()
    assert "recurrence" in excinfo.value.message_dict


@pytest.mark.django_db
def test_freeze_occurrences_filters_by_environment_and_expands_rules():
    start = datetime(2026, 1, 3, tzinfo=UTC)
    prod_weekly = FreezeWindowFactory(start=start, end=start + timedelta(hours=6), recurrence="FREQ=WEEKLY;BYDAY=SA")
    prod_weekly.environments.add(environment("prod"))
    qa_once = FreezeWindowFactory(start=datetime(2026, 12, 1, tzinfo=UTC), end=datetime(2026, 12, 3, tzinfo=UTC))
    qa_once.environments.add(environment("qa"))
    span = (datetime(2026, 11, 27, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC))
    prod_only = freeze_occurrences(start=span[0], end=span[1], environment_ids=[environment("prod").pk])
    assert [occurrence.start.day for occurrence in prod_only] == [28, 5]
    everything = freeze_occurrences(start=span[0], end=span[1])
    assert len(everything) == 3
