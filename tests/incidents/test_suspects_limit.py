"""``limit``: how many suspects and "after" entries a report lists; the totals still count every candidate."""

from datetime import timedelta

import pytest

from apps.changes.choices import HostExecutionState
from apps.incidents.suspects import MAX_LISTED, suspects_for_host, suspects_for_hosts
from tests.incidents.builders import AT, change, host, service

A = HostExecutionState.APPLIED
H = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    web, api = service("web"), service("api")
    web01 = host("web01", services=[web])
    for index in range(6):
        change(title=f"before {index}", at=AT, ended_before=(index + 1) * H, hosts={web01: A})
    # Began after the incident, not in start order of creation; one via the service, one environment-wide.
    for hours in (9, 3, 7, 1, 5):
        change(title=f"after +{hours} h", at=AT, ended_before=-(hours + 1) * H, duration=H, hosts={web01: A})
    change(title="after +2 h via web", at=AT, ended_before=-3 * H, duration=H, services=[web])
    change(title="after +4 h wide", at=AT, ended_before=-5 * H, duration=H)
    change(title="after +6 h other service", at=AT, ended_before=-7 * H, duration=H, services=[api])
    return {"web": web, "web01": web01}


def titles(items):
    return [s.change.title for s in items]


def test_the_first_entries_are_those_of_the_full_report(world):
    full = suspects_for_host(world["web01"], at=AT)
    short = suspects_for_host(world["web01"], at=AT, limit=3)
    assert full.total_suspects == short.total_suspects == 6
    assert full.total_after == short.total_after == 7
    assert titles(full.after) == [
        "after +1 h",
        "after +2 h via web",
        "after +3 h",
        "after +4 h wide",
        "after +5 h",
        "after +7 h",
        "after +9 h",
    ]
    assert titles(short.suspects) == titles(full.suspects)[:3]
    assert titles(short.after) == titles(full.after)[:3]
    for cut, whole in zip(short.suspects + short.after, full.suspects[:3] + full.after[:3], strict=True):
        assert (cut.score, cut.summary, cut.factors) == (whole.score, whole.summary, whole.factors)


def test_changes_after_the_listed_ones_are_counted_but_not_loaded(world):
    report = suspects_for_host(world["web01"], at=AT, limit=2)
    loaded = {change.title for change in report.facts.changes.values()}
    assert {"after +1 h", "after +2 h via web"} <= loaded
    assert not {"after +3 h", "after +9 h", "after +4 h wide"} & loaded
    assert "after +6 h other service" not in loaded  # never a candidate: another service
    assert report.facts.unlisted_after == 5 and report.total_after == 7


def test_default_and_bad_limits(world):
    assert len(suspects_for_hosts([world["web01"]], at=AT).after) == min(7, MAX_LISTED)
    with pytest.raises(ValueError, match="limit"):
        suspects_for_host(world["web01"], at=AT, limit=0)
