"""Which changes are suspects for a host, how they rank, and that it costs a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.changes.choices import ActivityAction, ChangeKind, ChangeRisk, ChangeStatus, HostExecutionState
from apps.changes.services import record_activity
from apps.incidents.choices import SuspectScope
from apps.incidents.suspects import suspects_for_host, suspects_for_hosts
from apps.platform.actors import Actor
from tests.clock import replay_at
from tests.incidents.builders import AT, approve, change, host, many_changes, service

A = HostExecutionState.APPLIED
P = HostExecutionState.PENDING
H = timedelta(hours=1)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    web, api = service("web"), service("api")
    return {
        "web": web,
        "api": api,
        "web01": host("web01", services=[web]),
        "web02": host("web02", services=[web]),
        "app01": host("app01", services=[api]),
        "qa-web01": host("qa-web01", env="qa", services=[web]),
    }


def listed(report):
    return {s.change.title: s for s in report.suspects}


def titles(items):
    return [s.change.title for s in items]


def test_scopes_direct_service_peer_and_environment(world):
    change(title="on web01", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    change(title="to service web", at=AT, ended_before=3 * H, services=[world["web"]])
    change(title="on peer web02", at=AT, ended_before=4 * H, hosts={world["web02"]: A})
    change(title="prod-wide firewall", at=AT, ended_before=5 * H, kind=ChangeKind.FIREWALL)
    report = suspects_for_host(world["web01"], at=AT)
    found = listed(report)
    assert found["on web01"].scope == SuspectScope.DIRECT
    assert found["to service web"].scope == SuspectScope.SERVICE
    assert found["on peer web02"].scope == SuspectScope.SERVICE
    assert found["on peer web02"].via_services == ["web"]
    assert found["prod-wide firewall"].scope == SuspectScope.ENVIRONMENT
    assert titles(report.suspects)[0] == "on web01"
    assert found["on peer web02"].summary.startswith("via its service web, ended 4 h before the incident")


def test_unrelated_other_environment_and_inactive_changes_never_appear(world):
    change(title="on app01", at=AT, ended_before=H, hosts={world["app01"]: A}, services=[world["api"]])
    change(title="qa web service", at=AT, ended_before=H, env="qa", services=[world["web"]])
    change(title="qa-wide", at=AT, ended_before=H, env="qa")
    for status in (ChangeStatus.CANCELLED, ChangeStatus.REJECTED, ChangeStatus.DRAFT):
        change(title=f"{status} on web01", at=AT, ended_before=H, status=status, hosts={world["web01"]: P})
    report = suspects_for_host(world["web01"], at=AT)
    assert report.suspects == [] and report.after == []
    assert report.empty_message.startswith("No change touched web01 in the 72 hours before")


def test_window_bounds(world):
    change(title="long, ends in window", at=AT, ended_before=70 * H, duration=30 * H, hosts={world["web01"]: A})
    change(title="ended before the window", at=AT, ended_before=73 * H, hosts={world["web01"]: A})
    change(
        title="overran, still in progress",
        at=AT,
        ended_before=80 * H,
        status=ChangeStatus.IN_PROGRESS,
        hosts={world["web01"]: P, world["web02"]: A},
    )
    found = listed(suspects_for_host(world["web01"], at=AT))
    assert set(found) == {"long, ends in window", "overran, still in progress"}
    running = found["overran, still in progress"]
    assert running.condition == "missing"
    assert "still running when the incident began" in running.summary
    assert set(listed(suspects_for_host(world["web01"], at=AT, hours=100))) >= {"ended before the window"}


def test_missing_while_peers_applied(world):
    web03 = host("web03", services=[world["web"]])
    change(title="manual step", at=AT, ended_before=6 * H, hosts={world["web01"]: P, world["web02"]: A, web03: A})
    suspect = listed(suspects_for_host(world["web01"], at=AT))["manual step"]
    assert suspect.host_state == P
    assert suspect.condition == "missing"
    assert suspect.summary.startswith("missing on this host while 2 of 2 other hosts have it applied")


def test_changes_that_started_after_the_incident_are_listed_apart(world):
    change(title="backout", at=AT, ended_before=-3 * H, hosts={world["web01"]: A})
    change(title="before", at=AT, ended_before=H, hosts={world["web01"]: A})
    report = suspects_for_host(world["web01"], at=AT)
    assert titles(report.suspects) == ["before"]
    assert titles(report.after) == ["backout"]
    assert report.after[0].after and "after the incident began" in report.after[0].summary


def test_drift_production_only_artifacts_and_the_untested_combination(world):
    patch = change(
        title="openssl on prod",
        at=AT,
        ended_before=100 * H,
        hosts={world["web01"]: A},
        artifact="openssl 3.0.13-1",
        kind=ChangeKind.PATCH,
    )
    change(title="old, no artifact", at=AT, ended_before=100 * H, hosts={world["web01"]: A})
    change(title="nginx everywhere", at=AT, ended_before=100 * H, hosts={world["web01"]: A}, artifact="nginx 1.22")
    change(
        title="nginx in qa", at=AT, ended_before=120 * H, env="qa", hosts={world["qa-web01"]: A}, artifact="nginx 1.22"
    )
    change(title="billing to qa", at=AT, ended_before=30 * H, env="qa", hosts={world["qa-web01"]: A}, artifact="b 2.4")
    release = change(
        title="billing to prod",
        at=AT,
        ended_before=5 * H,
        hosts={world["web01"]: A},
        artifact="b 2.4",
        kind=ChangeKind.RELEASE,
    )
    report = suspects_for_host(world["web01"], at=AT)
    found = listed(report)
    assert set(found) == {"openssl on prod", "billing to prod"}, "only production-only artifacts outlive the window"
    drift = found["openssl on prod"]
    assert drift.drift and not drift.in_window
    assert "production only: openssl 3.0.13-1 never applied in QA or dev (web)" in drift.summary
    assert f"{release.reference} (b 2.4) ran here after it but was tested without it" in drift.summary
    assert not found["billing to prod"].drift
    assert [s.change.pk for s in report.drift] == [patch.pk]


def test_approval_flags(world):
    edited = change(title="edited after approval", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    approve(edited, when=AT - 50 * H)
    with replay_at(AT - 40 * H):
        record_activity(
            change=edited,
            actor=Actor.automatic("test"),
            action=ActivityAction.EDIT,
            changes={"artifact": {}, "title": {}},
        )
    wording = change(title="typo fixed after approval", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    approve(wording, when=AT - 50 * H)
    with replay_at(AT - 40 * H):
        record_activity(
            change=wording, actor=Actor.automatic("test"), action=ActivityAction.EDIT, changes={"title": {}}
        )
    before = change(title="edited, then approved", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    with replay_at(AT - 60 * H):
        record_activity(
            change=before, actor=Actor.automatic("test"), action=ActivityAction.EDIT, changes={"artifact": {}}
        )
    approve(before, when=AT - 50 * H)
    change(title="never approved", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    found = listed(suspects_for_host(world["web01"], at=AT))

    def flags(title):
        return {f.name for f in found[title].factors}

    assert "edited_after_approval" in flags("edited after approval")
    assert "edited after approval (artifact)" in found["edited after approval"].summary
    assert not {"edited_after_approval", "unapproved"} & flags("typo fixed after approval")
    assert "edited_after_approval" not in flags("edited, then approved")
    assert "unapproved" in flags("never approved")


def test_ranking_is_deterministic_and_explained(world):
    change(
        title="failed here, high risk", at=AT, ended_before=H, hosts={world["web01"]: "failed"}, risk=ChangeRisk.HIGH
    )
    change(title="prod-wide", at=AT, ended_before=H)
    change(title="same score a", at=AT, ended_before=10 * H, hosts={world["web01"]: A})
    change(title="same score b", at=AT, ended_before=10 * H, hosts={world["web01"]: A})
    first = suspects_for_host(world["web01"], at=AT)
    second = suspects_for_host(world["web01"], at=AT)
    assert titles(first.suspects) == titles(second.suspects)
    assert titles(first.suspects)[0] == "failed here, high risk"
    assert titles(first.suspects)[-1] == "prod-wide"
    for suspect in first.suspects:
        assert suspect.score == sum(f.points for f in suspect.factors)
        assert suspect.summary


def test_merged_across_hosts(world):
    change(title="web02 only", at=AT, ended_before=H, hosts={world["web02"]: A})
    report = suspects_for_hosts([world["web01"], world["web02"]], at=AT)
    suspect = listed(report)["web02 only"]
    assert suspect.scope == SuspectScope.DIRECT and suspect.host == world["web02"]
    assert suspect.conditions == {world["web02"].pk: A, world["web01"].pk: None}
    assert suspect.hosts_in_scope == 2


def test_hours_are_bounded(world):
    with pytest.raises(ValueError):
        suspects_for_host(world["web01"], at=AT, hours=0)
    with pytest.raises(ValueError):
        suspects_for_host(world["web01"], at=AT, hours=24 * 14 + 1)


def count_queries(callable_):
    with CaptureQueriesContext(connection) as queries:
        callable_()
    return len(queries)


def test_fixed_number_of_queries(world, django_assert_max_num_queries):
    many_changes(world, 1)
    few = count_queries(lambda: suspects_for_host(world["web01"], at=AT))
    many_changes(world, 12, offset=1)
    with django_assert_max_num_queries(few):
        report = suspects_for_host(world["web01"], at=AT)
    assert report.total_suspects == 13 * 5
    assert few <= 11


def test_peer_changes_keep_the_status_rules(world):
    """Changes on the service's other hosts: never inactive ones; in-progress ones even past their planned end."""
    for status in (ChangeStatus.CANCELLED, ChangeStatus.REJECTED, ChangeStatus.DRAFT):
        change(title=f"{status} on web02", at=AT, ended_before=H, status=status, hosts={world["web02"]: P})
    change(
        title="stuck on web02", at=AT, ended_before=100 * H, status=ChangeStatus.IN_PROGRESS, hosts={world["web02"]: P}
    )
    change(title="old on web02", at=AT, ended_before=100 * H, hosts={world["web02"]: A})
    found = listed(suspects_for_host(world["web01"], at=AT))
    assert set(found) == {"stuck on web02"}
    assert found["stuck on web02"].scope == SuspectScope.SERVICE


def test_a_change_from_another_environment_keeps_its_own(world):
    """Candidates share their environments with the host's when they can, and fetch the others."""
    change(title="from qa", at=AT, ended_before=H, env="qa", hosts={world["web01"]: A})
    change(title="from prod", at=AT, ended_before=2 * H, hosts={world["web01"]: A})
    found = listed(suspects_for_host(world["web01"], at=AT))
    assert found["from qa"].change.environment.slug == "qa"
    assert found["from prod"].change.environment is world["web01"].environment
