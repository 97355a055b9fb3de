"""A small history whose every metric is worked out by hand in the tests (see test_report.py for the sums).

Two weeks, Monday 2 to Sunday 15 March 2026, seen from Europe/Berlin (UTC+1 then): week 1 runs from
1 March 23:00 UTC to 8 March 23:00 UTC, week 2 to 15 March 23:00 UTC. Times below are UTC.

prod deployments (status, team, kind; what makes them special):
  c1  completed  billing-dev  release   submitted 25 Feb 10:00, approved 26 Feb 10:00 (a rejection before), 3 Mar 09-10
  c2  backed_out billing-dev  config    never submitted (created 1 Mar 12:00), approved 2 Mar 12:00, 4 Mar 10-11,
                                        backout completed 4 Mar 13:00: failed *and* backed out, counted once
  c3  failed     ops          patch     emergency, never approved, 5 Mar 09:00-09:30 (created 08:00); a backout
                                        started (not completed); confirmed cause of i2 (09:45 → 12:45)
  c4  completed  ops          release   submitted 6 Mar 10:00, approved 11:00, planned 8 Mar 20-21, ran 21:30-22:30
                                        (Sunday 23:30 in Berlin: still week 1 there): outside its window; the
                                        confirmed cause of two incidents i3 (9 Mar 08-10) and i4 (09-12)
  c5  completed  billing-dev  config    recorded unplanned, 10 Mar 11-12 (created 12:00)
  c6  completed  billing-dev  release   submitted 9 Mar 09:00, approved 10:00, 11 Mar 10-11; a report added a host
                                        (hosts not in the plan) and one host is still pending; a withdrawn cause
  c11 completed  (no team)    database  created 12 Mar 08:00, approved_at 13 Mar 10:00 after its start 09:00
                                        (no decision row), 13 Mar 09-10, linked to service "ledger"
  c12 failed     ops          other     created 14 Mar 08:00, approved 13 Mar 09:00, 14 Mar 09-10, no recovery
left out: c7 (qa), c8 (ends 15 Mar 23:30 UTC = 16 Mar 00:30 Berlin), c9 (in progress), c10 (cancelled)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from apps.approvals.models import Approval
from apps.changes import windows
from apps.changes.choices import ActivityAction, ChangeKind, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.changes.services.ingest import UNPLANNED_HOSTS_NOTE
from apps.incidents.choices import FindingRole, IncidentStatus
from apps.incidents.models import Backout, Incident, IncidentFinding
from apps.metrics.period import MetricsForm, MetricsQuery
from apps.metrics.report import build_report
from tests.factories import HostFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory, environment

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 15)
PERIOD = {"start": FIRST.isoformat(), "end": LAST.isoformat()}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def report_for(params: dict, zone=BERLIN, now=None):
    form = MetricsForm(params, zone=zone, now=now or at(20, 12))
    assert form.is_valid(), form.errors
    return build_report(MetricsQuery.from_form(form))


@dataclass
class History:
    changes: dict[str, Change]
    ops: object
    billing: object
    service: object
    lead: object


def _change(name, *, status, start, end, env="prod", team=None, kind=ChangeKind.CONFIG, created, **fields):
    return Change.objects.create(
        title=name,
        status=status,
        environment=environment(env),
        team=team,
        kind=kind,
        planned_start=fields.pop("planned_start", start),
        planned_end=fields.pop("planned_end", end or at(28, 12)),
        actual_start=start,
        actual_end=end,
        created=created,
        **fields,
    )


def _submitted(change, when):
    ChangeActivity.objects.create(
        change=change, action=ActivityAction.TRANSITION, from_status="draft", to_status="submitted", created=when
    )


def _decision(change, who, when, decision="approved"):
    Approval.objects.create(change=change, decided_by=who, decision=decision, decided_at=when, change_version=1)


@pytest.fixture
def history(db, team):
    billing = team  # "Billing dev", slug billing-dev
    ops = TeamFactory(name="Ops", slug="ops")
    lead = UserFactory(username="metrics-lead")
    MembershipFactory(team=billing, user=lead, is_lead=True)
    ledger = ServiceFactory(name="ledger")
    done, failed = ChangeStatus.COMPLETED, ChangeStatus.FAILED
    c = {}
    c["c1"] = _change(
        "c1",
        status=done,
        team=billing,
        kind=ChangeKind.RELEASE,
        start=at(3, 9),
        end=at(3, 10),
        planned_end=at(3, 11),
        created=at(20, 10, month=2),
        approved_at=at(26, 10, month=2),
    )
    _submitted(c["c1"], at(25, 10, month=2))
    _decision(c["c1"], lead, at(25, 12, month=2), decision="rejected")
    _decision(c["c1"], lead, at(26, 10, month=2))
    c["c2"] = _change(
        "c2",
        status=ChangeStatus.BACKED_OUT,
        team=billing,
        start=at(4, 10),
        end=at(4, 11),
        planned_end=at(4, 12),
        created=at(1, 12),
        approved_at=at(2, 12),
    )
    _decision(c["c2"], lead, at(2, 12))
    c["c3"] = _change(
        "c3",
        status=failed,
        team=ops,
        kind=ChangeKind.PATCH,
        change_type=ChangeType.EMERGENCY,
        start=at(5, 9),
        end=at(5, 9, 30),
        planned_end=at(5, 10),
        created=at(5, 8),
    )
    c["c4"] = _change(
        "c4",
        status=done,
        team=ops,
        kind=ChangeKind.RELEASE,
        start=at(8, 21, 30),
        end=at(8, 22, 30),
        planned_start=at(8, 20),
        planned_end=at(8, 21),
        created=at(6, 9),
        approved_at=at(6, 11),
    )
    _submitted(c["c4"], at(6, 10))
    _decision(c["c4"], lead, at(6, 11))
    c["c5"] = _change(
        "c5", status=done, team=billing, start=at(10, 11), end=at(10, 12), created=at(10, 12), is_unplanned=True
    )
    c["c6"] = _change(
        "c6",
        status=done,
        team=billing,
        kind=ChangeKind.RELEASE,
        start=at(11, 10),
        end=at(11, 11),
        planned_end=at(11, 12),
        created=at(9, 8),
        approved_at=at(9, 10),
    )
    _submitted(c["c6"], at(9, 9))
    _decision(c["c6"], lead, at(9, 10))
    c["c11"] = _change(
        "c11",
        status=done,
        kind=ChangeKind.DATABASE,
        start=at(13, 9),
        end=at(13, 10),
        created=at(12, 8),
        approved_at=at(13, 10),
    )
    c["c11"].services.add(ledger)
    c["c12"] = _change(
        "c12",
        status=failed,
        team=ops,
        kind=ChangeKind.OTHER,
        start=at(14, 9),
        end=at(14, 10),
        created=at(14, 8),
        approved_at=at(13, 9),
    )
    _decision(c["c12"], lead, at(13, 9))
    # Left out of every figure.
    c["c7"] = _change("c7", status=done, env="qa", team=billing, start=at(10, 9), end=at(10, 10), created=at(9, 9))
    c["c8"] = _change("c8", status=done, team=billing, start=at(15, 22), end=at(15, 23, 30), created=at(15, 9))
    c["c9"] = _change("c9", status=ChangeStatus.IN_PROGRESS, team=billing, start=at(12, 9), end=None, created=at(12, 8))
    c["c10"] = _change("c10", status=ChangeStatus.CANCELLED, team=billing, start=None, end=None,
                       planned_start=at(12, 9), planned_end=at(12, 10), created=at(11, 8))  # fmt: skip

    # c6: a host added by an execution report (the ingest service's activity entry) and a host still pending.
    hosts = [HostFactory(), HostFactory()]
    ChangeHost.objects.bulk_create(windows.host_links(c["c6"], hosts))
    ChangeHost.objects.filter(change=c["c6"], host=hosts[0]).update(state=HostExecutionState.APPLIED)
    ChangeActivity.objects.create(change=c["c6"], action=ActivityAction.HOSTS, note=UNPLANNED_HOSTS_NOTE,
                                  created=at(11, 10, 30))  # fmt: skip
    # c3 failed on its host: not "completed with hosts missing" (it is not marked completed).
    ChangeHost.objects.bulk_create(windows.host_links(c["c3"], [HostFactory()]))
    ChangeHost.objects.filter(change=c["c3"]).update(state=HostExecutionState.FAILED)

    resolved = IncidentStatus.RESOLVED
    i1 = Incident.objects.create(title="i1", started_at=at(4, 11, 30), resolved_at=at(4, 14), status=resolved)
    i2 = Incident.objects.create(title="i2", started_at=at(5, 9, 45), resolved_at=at(5, 12, 45), status=resolved)
    i3 = Incident.objects.create(title="i3", started_at=at(9, 8), resolved_at=at(9, 10), status=resolved)
    i4 = Incident.objects.create(title="i4", started_at=at(9, 9), resolved_at=at(9, 12), status=resolved)
    Backout.objects.create(incident=i1, change=c["c2"], note="undo", started_at=at(4, 12), completed_at=at(4, 13))
    Backout.objects.create(incident=i2, change=c["c3"], note="undo", started_at=at(5, 10))
    cause = FindingRole.CONFIRMED_CAUSE
    IncidentFinding.objects.create(incident=i2, change=c["c3"], role=cause, recorded_at=at(5, 13))
    IncidentFinding.objects.create(incident=i3, change=c["c4"], role=cause, recorded_at=at(9, 11))
    IncidentFinding.objects.create(incident=i4, change=c["c4"], role=cause, recorded_at=at(9, 13))
    IncidentFinding.objects.create(incident=i4, change=c["c6"], role=FindingRole.FIXED_BY, recorded_at=at(9, 13))
    IncidentFinding.objects.create(
        incident=i3, change=c["c6"], role=cause, recorded_at=at(11, 12), withdrawn_at=at(11, 13)
    )
    return History(changes=c, ops=ops, billing=billing, service=ledger, lead=lead)
