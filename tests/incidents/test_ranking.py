"""Each suspicion factor on its own: points and words (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType, HostExecutionState
from apps.incidents import ranking
from apps.incidents.choices import SuspectScope

AT = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
WINDOW_START = AT - timedelta(hours=72)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=5, minutes=40), "5 h 40 min"),
        (timedelta(hours=23, minutes=10), "23 h"),
        (timedelta(days=1), "1 day"),
        (timedelta(days=4, hours=8, minutes=59), "4 days 8 h"),
        (timedelta(seconds=-5), "0 min"),
    ],
)
def test_human_duration(delta, text):
    assert ranking.human_duration(delta) == text


def test_scope_direct_beats_service_beats_environment():
    direct = ranking.scope_factor(SuspectScope.DIRECT)
    via = ranking.scope_factor(SuspectScope.SERVICE, services=["billing-web"])
    wide = ranking.scope_factor(SuspectScope.ENVIRONMENT, environment="Production")
    assert direct.points > via.points > wide.points > 0
    assert direct.text == "linked to this host"
    assert via.text == "via its service billing-web"
    assert wide.text == "Production-wide (no hosts or services listed)"


def timing(end_before: timedelta, **kwargs):
    end = AT - end_before
    return ranking.timing_factor(
        at=AT, start=end - timedelta(hours=1), end=end, in_progress=False, window_start=WINDOW_START, **kwargs
    )


def test_timing_closer_to_the_incident_scores_more():
    points = [timing(gap).points for gap in (timedelta(hours=2), timedelta(hours=12), timedelta(hours=48))]
    assert points == sorted(points, reverse=True)
    assert points[0] > points[-1]
    assert timing(timedelta(hours=2)).text == "ended 2 h before the incident"


def test_timing_running_at_the_start_scores_most():
    running = ranking.timing_factor(
        at=AT, start=AT - timedelta(hours=1), end=AT + timedelta(hours=1), in_progress=False, window_start=WINDOW_START
    )
    overran = ranking.timing_factor(
        at=AT, start=AT - timedelta(hours=3), end=AT - timedelta(hours=2), in_progress=True, window_start=WINDOW_START
    )
    assert running.points == overran.points == ranking.RUNNING_POINTS
    assert running.points > timing(timedelta(minutes=1)).points
    assert running.text == "still running when the incident began"


def test_timing_uses_when_it_reached_this_host():
    factor = timing(
        timedelta(hours=1), host_state=HostExecutionState.APPLIED, host_state_at=AT - timedelta(hours=5, minutes=10)
    )
    assert factor.text == "applied on this host 5 h 10 min before the incident"
    assert factor.points == timing(timedelta(hours=5, minutes=10)).points


def test_timing_after_the_start_and_before_the_window():
    after = ranking.timing_factor(
        at=AT, start=AT + timedelta(hours=2), end=AT + timedelta(hours=3), in_progress=False, window_start=WINDOW_START
    )
    assert after.points == 0
    assert after.text == "started 2 h after the incident began"
    old = timing(timedelta(days=4))
    assert old.text.endswith("(before the 72 h window)")
    assert timing(timedelta(days=9)).points == 0


def test_host_state_order_failed_applied_missing():
    failed = ranking.host_state_factor(HostExecutionState.FAILED, peers_applied=0, peers_total=3)
    applied = ranking.host_state_factor(HostExecutionState.APPLIED, peers_applied=2, peers_total=3)
    missing = ranking.host_state_factor(HostExecutionState.PENDING, peers_applied=5, peers_total=7)
    pending = ranking.host_state_factor(HostExecutionState.PENDING, peers_applied=0, peers_total=7)
    skipped = ranking.host_state_factor(HostExecutionState.SKIPPED, peers_applied=5, peers_total=7)
    assert failed.points > applied.points > missing.points > pending.points > skipped.points
    assert missing.text == "missing on this host while 5 of 7 other hosts have it applied"
    assert ranking.host_state_factor(None, peers_applied=3, peers_total=3) is None


def test_host_condition_names_missing():
    assert ranking.host_condition(HostExecutionState.PENDING, peers_applied=1) == "missing"
    assert ranking.host_condition(HostExecutionState.PENDING, peers_applied=0) == HostExecutionState.PENDING
    assert ranking.host_condition(HostExecutionState.FAILED, peers_applied=4) == HostExecutionState.FAILED


def test_risk():
    assert ranking.risk_factor(ChangeRisk.LOW) is None
    points = [ranking.risk_factor(r).points for r in (ChangeRisk.MEDIUM, ChangeRisk.HIGH, ChangeRisk.CRITICAL)]
    assert points == sorted(points) and points[0] > 0
    assert ranking.risk_factor(ChangeRisk.HIGH).text == "high risk"


def test_unplanned_and_emergency():
    assert ranking.unplanned_factor(False) is None
    assert ranking.unplanned_factor(True).points == ranking.UNPLANNED_POINTS
    assert ranking.emergency_factor(ChangeType.NORMAL) is None
    assert ranking.emergency_factor(ChangeType.EMERGENCY).text == "emergency change"


def test_unapproved():
    never = ranking.unapproved_factor(
        change_type=ChangeType.NORMAL, ever_approved=False, status=ChangeStatus.COMPLETED, ran=True
    )
    assert never.text == "never approved"
    ran_early = ranking.unapproved_factor(
        change_type=ChangeType.NORMAL, ever_approved=True, status=ChangeStatus.SUBMITTED, ran=True
    )
    assert ran_early.text == "ran while still submitted"
    assert (
        ranking.unapproved_factor(
            change_type=ChangeType.STANDARD, ever_approved=False, status=ChangeStatus.COMPLETED, ran=True
        )
        is None
    ), "standard changes are pre-approved"
    assert (
        ranking.unapproved_factor(
            change_type=ChangeType.NORMAL, ever_approved=True, status=ChangeStatus.COMPLETED, ran=True
        )
        is None
    )


def test_edited_after_approval():
    assert ranking.edited_after_approval_factor([]) is None
    factor = ranking.edited_after_approval_factor(["links", "artifact", "implementation_plan"])
    assert factor.text == "edited after approval (artifact, implementation plan, links)"
    assert factor.points == ranking.EDITED_AFTER_APPROVAL_POINTS


def test_kind():
    assert ranking.kind_factor(ChangeKind.RELEASE).points > ranking.kind_factor(ChangeKind.OTHER).points
    assert ranking.kind_factor(ChangeKind.MANUAL).text == "manual tweak"


def test_drift():
    assert ranking.drift_factor(artifact="", services=["web"], reached_lower=False) is None
    assert ranking.drift_factor(artifact="openssl 3", services=["web"], reached_lower=True) is None
    assert ranking.drift_factor(artifact="openssl 3", services=[], reached_lower=False) is None
    plain = ranking.drift_factor(artifact="openssl 3", services=["web"], reached_lower=False)
    assert plain.text == "production only: openssl 3 never applied in QA or dev (web)"
    combined = ranking.drift_factor(
        artifact="openssl 3", services=["web"], reached_lower=False, later_release="CHG-9 (billing 2.4)"
    )
    assert combined.points == plain.points + ranking.UNTESTED_COMBINATION_POINTS
    assert "CHG-9 (billing 2.4) ran here after it but was tested without it" in combined.text


def test_not_started():
    before = AT - timedelta(hours=2)
    assert ranking.not_started_factor(status=ChangeStatus.APPROVED, started=False, start=before, at=AT).points < 0
    assert ranking.not_started_factor(status=ChangeStatus.APPROVED, started=True, start=before, at=AT) is None
    assert ranking.not_started_factor(status=ChangeStatus.COMPLETED, started=False, start=before, at=AT) is None


def test_summary_leads_with_where_and_when_then_biggest_flags():
    factors = [
        ranking.scope_factor(SuspectScope.DIRECT),
        timing(timedelta(hours=1), host_state="applied", host_state_at=AT - timedelta(hours=5)),
        ranking.host_state_factor(HostExecutionState.APPLIED, peers_applied=3, peers_total=3),
        ranking.edited_after_approval_factor(["artifact"]),
        ranking.drift_factor(artifact="openssl 3", services=["web"], reached_lower=False),
        ranking.kind_factor(ChangeKind.PATCH),
    ]
    assert ranking.summary(factors) == (
        "applied on this host 5 h before the incident; production only: openssl 3 never applied in QA or dev (web); "
        "edited after approval (artifact)"
    )
    indirect = [ranking.scope_factor(SuspectScope.SERVICE, services=["web"]), timing(timedelta(hours=3))]
    assert ranking.summary(indirect) == "via its service web, ended 3 h before the incident"


def test_total_and_order_are_deterministic():
    factors = [ranking.kind_factor(ChangeKind.RELEASE), ranking.scope_factor(SuspectScope.DIRECT)]
    assert ranking.total(factors) == 38
    assert [f.name for f in ranking.ordered(factors)] == ["scope", "kind"]
