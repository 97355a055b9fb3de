"""Every figure of the fixture history (tests/metrics/conftest.py), worked out by hand.

Deployments seen from Berlin, 2–15 March: week 1 c1 c2 c3 c4, week 2 c5 c6 c11 c12 (8).
Durations in hours, by hand from the times in conftest.py:
  lead (submission, else creation → end): c1 144, c2 71, c3 1.5, c4 60.5 | c5 0, c6 50, c11 26, c12 2
  first approval → start: c1 119, c2 46, c4 58.5 | c6 48, c12 24 (c3, c5, c11: no approval before the start)
  recovery: c2 2 (end 11:00 → backout 13:00), c3 3 (i2 09:45 → 12:45), c4 2 (i3 08:00 → 10:00) | c12 none
Percentiles interpolate like percentile_cont: p(f) of n sorted values sits at rank f·(n−1).
"""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.changes import windows
from apps.changes.models import Change, ChangeHost
from apps.metrics.period import MetricsForm
from tests.factories import HostFactory
from tests.metrics.conftest import PERIOD, at, report_for

pytestmark = pytest.mark.django_db


def hours(spread):
    return (spread.count, spread.median_hours, spread.p90_hours)


def test_weekly_counts(history):
    report = report_for(PERIOD)
    assert [week.start for week in report.weeks] == [date(2026, 3, 2), date(2026, 3, 9)]
    assert [week.partial for week in report.weeks] == [False, False]
    one, two = (week.counts for week in report.weeks)
    assert (one.deployments, one.releases, two.deployments, two.releases) == (4, 2, 4, 1)
    # c2 (failed, then backed out) and c4 (the cause of two incidents) are one failing change each.
    assert (one.failing, two.failing) == (3, 1)
    assert (one.emergency, one.backed_out, one.rework) == (1, 2, 2)  # c3 is emergency *and* backed out: once
    assert (two.emergency, two.backed_out, two.rework) == (0, 0, 0)
    assert (one.unplanned, two.unplanned) == (0, 1)
    assert (one.unapproved, two.unapproved) == (1, 1)  # c3 never approved; c11 approved after its start
    assert (one.outside_window, two.outside_window) == (1, 0)
    assert (one.extra_hosts, two.extra_hosts) == (0, 1)
    assert (one.hosts_missing, two.hosts_missing) == (0, 1)


def test_rates_always_carry_both_counts(history):
    report = report_for(PERIOD)
    assert str(report.totals.fail_rate) == "4 of 8, 50%"
    assert [str(week.counts.fail_rate) for week in report.weeks] == ["3 of 4, 75%", "1 of 4, 25%"]
    assert str(report.totals.rework_rate) == "2 of 8, 25%"
    assert [week.counts.rework_rate.percent for week in report.weeks] == [50.0, 0.0]
    assert report.frequency_per_week == 4.0  # 8 deployments × 7 / 14 days


def test_lead_time(history):
    report = report_for(PERIOD)
    # all: 0 1.5 2 26 50 60.5 71 144 → median (26+50)/2; p90 at rank 6.3: 71 + 0.3·73
    assert hours(report.lead) == (8, 38.0, 92.9)
    # week 1: 1.5 60.5 71 144 → (60.5+71)/2; rank 2.7: 71 + 0.7·73. Week 2: 0 2 26 50 → (2+26)/2; rank 2.7: 26 + 0.7·24
    assert [hours(week.lead) for week in report.weeks] == [(4, 65.75, 122.1), (4, 14.0, 42.8)]


def test_first_approval_to_start(history):
    report = report_for(PERIOD)
    # all: 24 46 48 58.5 119 → 48; rank 3.6: 58.5 + 0.6·60.5
    assert hours(report.approval_to_start) == (5, 48.0, 94.8)
    # week 1: 46 58.5 119 → 58.5; rank 1.8: 58.5 + 0.8·60.5. Week 2: 24 48 → 36; rank 0.9: 24 + 0.9·24
    assert [hours(week.approval_to_start) for week in report.weeks] == [(3, 58.5, 106.9), (2, 36.0, 45.6)]


def test_recovery_time(history):
    report = report_for(PERIOD)
    # 2 2 3 → 2; rank 1.8: 2 + 0.8·1. c12 failed with no recovery recorded: left out, counted apart.
    assert hours(report.recovery) == (3, 2.0, 2.8)
    assert [hours(week.recovery) for week in report.weeks] == [(3, 2.0, 2.8), (0, None, None)]
    assert report.unrecovered == 1


def test_team_success(history):
    rows = [(row.name, row.deployments, row.failing, str(row.success)) for row in report_for(PERIOD).teams]
    assert rows == [
        ("Billing dev", 4, 1, "3 of 4, 75%"),  # c1 c2 c5 c6; c2 backed out
        ("Ops", 3, 3, "0 of 3, 0%"),  # c3 c4 c12
        ("No team", 1, 0, "1 of 1, 100%"),  # c11
    ]


def test_a_week_ending_sunday_night_depends_on_the_viewer(history):
    """c4 ends Sunday 8 March 22:30 UTC: 23:30 in Berlin (week 1), Monday 07:30 in Tokyo (week 2). c8 ends
    15 March 23:30 UTC: inside the period in UTC, 16 March in Berlin and Tokyo (outside)."""
    deployments = {
        zone: [week.counts.deployments for week in report_for(PERIOD, zone=ZoneInfo(zone)).weeks]
        for zone in ("Europe/Berlin", "Asia/Tokyo", "UTC")
    }
    assert deployments == {"Europe/Berlin": [4, 4], "Asia/Tokyo": [3, 5], "UTC": [4, 5]}


def test_the_tz_parameter_overrides_the_viewer_zone(history):
    report = report_for({**PERIOD, "tz": "Asia/Tokyo"})
    assert [week.counts.deployments for week in report.weeks] == [3, 5]
    assert report.query.params()["tz"] == "Asia/Tokyo"


def test_an_empty_period_has_no_data_not_zero_percent(history):
    report = report_for({"start": "2025-01-06", "end": "2025-01-19"})
    assert report.is_empty
    assert str(report.totals.fail_rate) == "no data" and report.totals.fail_rate.percent is None
    assert report.totals.rework_rate.percent is None
    assert report.frequency_per_week is None
    assert hours(report.lead) == (0, None, None)
    assert all(week.counts.fail_rate.percent is None for week in report.weeks)
    assert report.teams == []


@pytest.mark.parametrize(
    ("params", "deployments", "failing"),
    [
        ({"team": "billing-dev"}, 4, 1),
        ({"team": ["billing-dev", "ops"]}, 7, 4),
        ({"service": "ledger"}, 1, 0),
        ({"kind": "release"}, 3, 1),  # c1 c4 c6; c4 the cause
        ({"kind": ["release", "patch"]}, 4, 2),
        ({"environment": "qa"}, 1, 0),  # c7
        ({"environment": ["qa", "prod"]}, 9, 4),
    ],
)
def test_filters(history, params, deployments, failing):
    query = {**PERIOD}
    for key, value in params.items():
        query[key] = value
    form_data = _querydict(query)
    totals = report_for(form_data).totals
    assert (totals.deployments, totals.failing) == (deployments, failing)


def test_releases_only_frequency(history):
    report = report_for({**PERIOD, "frequency": "release"})
    assert report.frequency_per_week == 1.5  # 3 releases × 7 / 14
    assert [report.counted(week.counts) for week in report.weeks] == [2, 1]


def test_partial_weeks_at_the_edges(history):
    report = report_for({"start": "2026-03-04", "end": "2026-03-10"})  # Wednesday to Tuesday
    assert [(week.start, week.partial) for week in report.weeks] == [(date(2026, 3, 2), True), (date(2026, 3, 9), True)]
    # c2 (4 Mar) c3 c4 in week 1; c5 (10 Mar) in week 2; c1 (3 Mar) and c6 (11 Mar) are outside
    assert [week.counts.deployments for week in report.weeks] == [3, 1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "start"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
        ({"team": "nobody"}, "team"),
        ({"environment": "mars"}, "environment"),
        ({"kind": "sabotage"}, "kind"),
        ({"frequency": "hourly"}, "frequency"),
        ({"tz": "Mars/Olympus"}, "tz"),
    ],
)
def test_bad_parameters_are_form_errors(db, params, field):
    form = MetricsForm(params, zone=ZoneInfo("UTC"), now=at(20, 12))
    assert not form.is_valid()
    assert field in form.errors


def test_default_period_is_the_last_90_days_in_production(history):
    report = report_for({}, now=at(20, 12))
    assert (report.query.first, report.query.last) == (date(2025, 12, 21), date(2026, 3, 20))
    assert [environment.slug for environment in report.query.environments] == ["prod"]
    assert report.totals.deployments == 9  # the 8 of the fixture period and c8


def _querydict(data: dict) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query


def test_a_fixed_number_of_queries_whatever_the_history(history):
    """Aggregates, not a query per change: more deployments (with hosts, findings, backouts) cost no query more."""
    with CaptureQueriesContext(connection) as before:
        report_for(PERIOD)
    c1 = history.changes["c1"]
    for n in range(5):
        extra = Change.objects.create(
            title=f"extra {n}", status=c1.status, environment=c1.environment, team=c1.team, kind=c1.kind,
            planned_start=c1.planned_start, planned_end=c1.planned_end, actual_start=c1.actual_start,
            actual_end=c1.actual_end, created=c1.created,
        )  # fmt: skip
        ChangeHost.objects.bulk_create(windows.host_links(extra, [HostFactory()]))
    with CaptureQueriesContext(connection) as after:
        report = report_for(PERIOD)
    assert report.totals.deployments == 13
    assert len(after.captured_queries) == len(before.captured_queries) <= 12
