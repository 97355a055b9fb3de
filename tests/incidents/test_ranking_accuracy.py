"""The ranking-accuracy report on a synthetic history whose every rank is worked out by hand: a guard for the ranking.

Each incident has its own hosts and service and starts 10 days after the previous one, so no change of one is a
suspect of another (the window is 72 h). Every change is a completed, never-approved change of kind "other" and
low risk, so each scores its scope + timing (+ host state when linked to the host) + 10 (never approved) + 2 (kind):

    direct, applied on the host 2 h before       30 + 30 + 18 + 12 = 90
    direct, applied 10 h or 20 h before           30 + 20 + 18 + 12 = 80
    direct, applied 30 h before                   30 + 10 + 18 + 12 = 70
    via the host's service, ended 3 h or 4 h      15 + 30 + 12      = 57
    environment-wide, ended 1 h or 5 h before      8 + 30 + 12      = 50
    environment-wide, ended 30 h before            8 + 10 + 12      = 30
    direct release (kind 8, not 2), applied 50 h   30 + 10 + 18 + 10 + 8 = 76

    A  cause: direct 2 h (90); also the release 50 h (76), env-wide 5 h (50)   -> rank 1 (timing decides)
    B  cause: service 3 h (57); also direct 20 h (80), env-wide 30 h (30)      -> rank 2
    C  cause: env-wide 1 h (50); also direct 10 h (80), service 4 h (57)       -> rank 3
    D  cause: direct 30 h (70); a decoy direct 2 h (90) recorded only after
       the start is left out                                                   -> rank 1 (2 if the decoy counted)
    E  cause: direct 2 h, but recorded after the start                          -> not listed

    top-1: A, D = 2 of 5 (40%); top-3: A, B, C, D = 4 of 5 (80%); median of 1, 2, 3, 1 = 1.5 over 4 of 5.
Incidents that do not count: one only mitigated, one whose cause was withdrawn, one with only a fixed-by.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.changes.choices import ChangeKind, HostExecutionState
from apps.incidents import findings
from apps.incidents.accuracy import (
    NOT_LISTED_OUT_OF_SCOPE,
    NOT_LISTED_RECORDED_LATER,
    NOT_LISTED_STARTED_LATER,
    ranking_accuracy,
)
from apps.incidents.choices import FindingRole, IncidentStatus
from apps.incidents.models import Incident
from tests.factories import TeamFactory, UserFactory
from tests.incidents.builders import AT, change, host, service

A = HostExecutionState.APPLIED
CAUSE, FIX = FindingRole.CONFIRMED_CAUSE, FindingRole.FIXED_BY
H = timedelta(hours=1)
pytestmark = pytest.mark.django_db


def _change(start, *, ended_before, created=None, **fields):
    # Recorded a day before it ran unless said otherwise: the bridge knew about it at the incident's start.
    ended = start - ended_before
    return change(at=start, ended_before=ended_before, created=created or ended - timedelta(days=1), **fields)


def _incident(name, start, hosts, *, status=IncidentStatus.RESOLVED) -> Incident:
    incident = Incident.objects.create(
        title=f"Incident {name}",
        started_at=start,
        status=status,
        mitigated_at=start + 2 * H,
        resolved_at=start + 3 * H if status == IncidentStatus.RESOLVED else None,
        created=start + H / 2,
    )
    incident.hosts.set(hosts)
    return incident


def _confirm(incident, cause, role=CAUSE, actor=None):
    return findings.record_finding(
        incident=incident,
        change=cause,
        role=role,
        actor=actor or UserFactory(),
        note="post-incident review",
        at=incident.started_at + 4 * H,
    )


@pytest.fixture
def history():
    team = TeamFactory()
    starts = {name: AT + timedelta(days=10 * index) for index, name in enumerate("ABCDEFGH")}
    made = {"team": team}

    s = starts["A"]
    a01 = host("a01", services=[service("svc-a")])
    made["A_cause"] = _change(s, ended_before=2 * H, hosts={a01: A}, team=team, title="A direct")
    _change(s, ended_before=5 * H, title="A env-wide")
    _change(s, ended_before=50 * H, hosts={a01: A}, kind=ChangeKind.RELEASE, title="A older release")
    made["A"] = _incident("A", s, [a01])

    s = starts["B"]
    svc_b = service("svc-b")
    b01 = host("b01", services=[svc_b])
    made["B_cause"] = _change(s, ended_before=3 * H, services=[svc_b], team=team, title="B service")
    made["B_top"] = _change(s, ended_before=20 * H, hosts={b01: A}, title="B direct")
    _change(s, ended_before=30 * H, title="B env-wide")
    made["B"] = _incident("B", s, [b01])

    s = starts["C"]
    svc_c = service("svc-c")
    c01 = host("c01", services=[svc_c])
    made["C_cause"] = _change(s, ended_before=1 * H, title="C env-wide")
    _change(s, ended_before=10 * H, hosts={c01: A}, title="C direct")
    _change(s, ended_before=4 * H, services=[svc_c], title="C service")
    made["C"] = _incident("C", s, [c01])

    s = starts["D"]
    d01 = host("d01", services=[service("svc-d")])
    made["D_cause"] = _change(s, ended_before=30 * H, hosts={d01: A}, title="D direct")
    made["D_decoy"] = _change(s, ended_before=2 * H, hosts={d01: A}, created=s + H / 2, title="D reported late")
    made["D"] = _incident("D", s, [d01])

    s = starts["E"]
    e01 = host("e01", services=[service("svc-e")])
    made["E_cause"] = _change(s, ended_before=2 * H, hosts={e01: A}, created=s + 5 * H, title="E reported late")
    _change(s, ended_before=5 * H, hosts={e01: A}, title="E direct")
    made["E"] = _incident("E", s, [e01])

    # Not counted: only mitigated; cause withdrawn; only a fix recorded.
    for name, status in (
        ("F", IncidentStatus.MITIGATED),
        ("G", IncidentStatus.RESOLVED),
        ("H", IncidentStatus.RESOLVED),
    ):
        s = starts[name]
        other = host(f"{name.lower()}01")
        made[f"{name}_cause"] = _change(s, ended_before=2 * H, hosts={other: A}, title=f"{name} direct")
        made[name] = _incident(name, s, [other], status=status)
    for name in "ABCDEF":
        _confirm(made[name], made[f"{name}_cause"])
    recorder = UserFactory()
    withdrawn = _confirm(made["G"], made["G_cause"], actor=recorder)
    findings.withdraw_finding(finding=withdrawn, actor=recorder, note="it was not")
    _confirm(made["H"], made["H_cause"], role=FIX)
    _confirm(made["A"], made["A_cause"], role=FIX)  # a fix alongside the cause changes nothing
    made["starts"] = starts
    return made


def test_every_rank_and_figure_is_the_hand_computed_one(history):
    report = ranking_accuracy()
    rows = [(item.incident.title, item.cause.title, item.rank, item.best.reason) for item in report.incidents]
    assert rows == [
        ("Incident E", "E reported late", None, NOT_LISTED_RECORDED_LATER),
        ("Incident D", "D direct", 1, ""),
        ("Incident C", "C env-wide", 3, ""),
        ("Incident B", "B service", 2, ""),
        ("Incident A", "A direct", 1, ""),
    ]
    assert (report.top1.count, report.top1.total, report.top1.label) == (2, 5, "2 of 5 (40%)")
    assert report.top3.label == "4 of 5 (80%)"
    assert report.listed.label == "4 of 5 (80%)"
    assert report.median_rank == 1.5
    assert report.median_label == "1.5, over 4 of 5 incidents (1 not listed)"
    assert not report.truncated
    d = next(item for item in report.incidents if item.incident.title == "Incident D")
    assert d.listed == 1  # the decoy recorded after the start is not in the replayed list


def test_filters_on_the_period_and_the_causes_team(history):
    starts = history["starts"]
    period = ranking_accuracy(since=starts["B"], until=starts["E"])
    assert [item.incident.title for item in period.incidents] == ["Incident D", "Incident C", "Incident B"]
    assert (period.top1.label, period.top3.label, period.median_rank) == ("1 of 3 (33%)", "3 of 3 (100%)", 2.0)
    by_team = ranking_accuracy(team=history["team"])
    assert [(item.incident.title, item.rank) for item in by_team.incidents] == [("Incident B", 2), ("Incident A", 1)]
    assert ranking_accuracy(team=history["team"].pk).median_rank == 1.5
    assert ranking_accuracy(service=history["B_cause"].services.get()).top1.label == "0 of 1 (0%)"
    both = ranking_accuracy(service=[history["B_cause"].services.get(), history["A_cause"].pk + 10**6])
    assert [item.incident.title for item in both.incidents] == ["Incident B"]
    assert [i.incident.title for i in ranking_accuracy(kind=[ChangeKind.RELEASE, ChangeKind.OTHER]).incidents] == [
        "Incident E",
        "Incident D",
        "Incident C",
        "Incident B",
        "Incident A",
    ]
    assert ranking_accuracy(kind=ChangeKind.RELEASE).total == 0
    assert ranking_accuracy(team=[], environment=None).total == 5  # an empty list filters nothing
    qa = ranking_accuracy(environment=history["A_cause"].environment.pk + 1000)
    assert (qa.total, qa.top1.label, qa.median_label) == (0, "no data", "no data")


def test_several_causes_count_once_with_the_best_rank(history):
    incident = history["B"]
    _confirm(incident, history["B_top"])
    item = next(row for row in ranking_accuracy().incidents if row.incident == incident)
    assert [(cause.change.title, cause.rank) for cause in item.causes] == [("B direct", 1), ("B service", 2)]
    assert item.rank == 1
    assert ranking_accuracy().top1.label == "3 of 5 (60%)"


def test_a_cause_out_of_reach_or_after_the_start_is_not_listed_with_the_reason(history):
    elsewhere = _change(history["starts"]["A"], ended_before=2 * H, env="qa", title="A in QA")
    later = _change(history["starts"]["A"], ended_before=-2 * H, title="A after the start")
    for cause in (elsewhere, later):
        _confirm(history["A"], cause)
    item = next(row for row in ranking_accuracy().incidents if row.incident == history["A"])
    assert [(cause.change.title, cause.rank, cause.reason) for cause in item.causes] == [
        ("A direct", 1, ""),
        ("A in QA", None, NOT_LISTED_OUT_OF_SCOPE),
        ("A after the start", None, NOT_LISTED_STARTED_LATER),
    ]


def test_no_resolved_incident_with_a_cause_is_no_data(db):
    report = ranking_accuracy()
    assert (report.total, report.top1.label, report.top3.percent, report.median_rank) == (0, "no data", None, None)


def test_the_cost_is_a_fixed_number_of_queries_per_incident(history, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as before:
        ranking_accuracy()
    start = history["starts"]["A"]
    for index in range(15):  # more history on incident A's host: the ranking reads it in the same queries
        _change(start, ended_before=(index + 3) * H, hosts={host(f"a1{index:02d}"): A}, title=f"noise {index}")
        _change(start, ended_before=(index + 3) * H, title=f"wide noise {index}")
    with django_assert_max_num_queries(len(before)):
        assert ranking_accuracy().top1.label == "2 of 5 (40%)"
