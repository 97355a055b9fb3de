"""Post-incident findings (apps.incidents.findings): the rules, the history kept, the timeline and activity lines."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import ChangeActivity
from apps.incidents import findings, services
from apps.incidents.choices import FindingRole, IncidentStatus, NoteKind, Severity
from apps.incidents.models import IncidentFinding, IncidentNote
from apps.incidents.services import IncidentConflict, IncidentForbidden
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.incidents.builders import change, host, service

A = HostExecutionState.APPLIED
CAUSE, FIX = FindingRole.CONFIRMED_CAUSE, FindingRole.FIXED_BY
pytestmark = pytest.mark.django_db


@pytest.fixture
def hosts():
    web = service("web")
    return [host(f"web{n:02d}", services=[web]) for n in range(1, 3)]


@pytest.fixture
def incident(hosts, requester):
    opened = services.open_incident(
        actor=requester,
        title="Billing errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=2),
        hosts=hosts,
    )
    return services.set_incident_status(incident=opened, status=IncidentStatus.MITIGATED, actor=requester)


@pytest.fixture
def release(hosts, team, requester):
    return change(
        title="Release 2.4",
        at=timezone.now(),
        ended_before=timedelta(hours=3),
        hosts={h: A for h in hosts},
        team=team,
        requester=requester,
    )


def test_record_writes_the_finding_a_timeline_line_and_the_change_activity(incident, release, outsider):
    finding = findings.record_finding(
        incident=incident, change=release, role=CAUSE, actor=outsider, note="Review: wrong config rules"
    )
    assert finding.is_standing and finding.recorded_by == outsider and finding.recorded_by_name == outsider.username
    note = IncidentNote.objects.get(incident=incident, kind=NoteKind.FINDING)
    assert note.change == release and note.author == outsider
    assert (
        note.text
        == f"{release.reference} recorded as confirmed cause by {outsider.username}: Review: wrong config rules"
    )
    activity = ChangeActivity.objects.filter(change=release, action=ActivityAction.COMMENT).latest("id")
    assert (
        activity.note
        == f"Recorded as the confirmed cause of {incident.reference} (Billing errors): Review: wrong config rules"
    )
    assert activity.actor == outsider


def test_the_same_change_may_be_cause_and_fix_but_not_twice_the_same(incident, release, requester):
    findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="config")
    findings.record_finding(incident=incident, change=release, role=FIX, actor=requester, note="backed out")
    with pytest.raises(IncidentConflict, match=f"already recorded as confirmed cause of {incident.reference}") as dup:
        findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="again")
    assert dup.value.http_status == 409
    assert IncidentFinding.objects.filter(incident=incident).count() == 2


def test_the_database_refuses_a_second_standing_finding(incident, release, requester):
    IncidentFinding.objects.create(incident=incident, change=release, role=CAUSE)
    with pytest.raises(IntegrityError):
        IncidentFinding.objects.create(incident=incident, change=release, role=CAUSE)


def test_an_open_incident_takes_marks_not_findings(hosts, release, requester):
    still_open = services.open_incident(
        actor=requester, title="Down", severity=Severity.SEV2, started_at=timezone.now(), hosts=hosts
    )
    with pytest.raises(IncidentConflict, match="still open: mark the suspect as the likely cause"):
        findings.record_finding(incident=still_open, change=release, role=CAUSE, actor=requester, note="sure")
    assert not IncidentFinding.objects.exists()


@pytest.mark.parametrize("status", [ChangeStatus.DRAFT, ChangeStatus.CANCELLED, ChangeStatus.REJECTED])
def test_a_change_that_never_ran_is_refused(incident, requester, status):
    never = change(title="Never ran", at=timezone.now(), ended_before=timedelta(hours=1), status=status)
    with pytest.raises(ValidationError) as refused:
        findings.record_finding(incident=incident, change=never, role=FIX, actor=requester, note="x")
    assert "it never ran" in refused.value.message_dict["change"][0]


def test_unknown_role_and_empty_note_are_refused(incident, release, requester):
    with pytest.raises(ValidationError) as role:
        findings.record_finding(incident=incident, change=release, role="blame", actor=requester, note="x")
    assert "Unknown role 'blame'" in role.value.message_dict["role"][0]
    with pytest.raises(ValidationError) as note:
        findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="  ")
    assert "Say how it was confirmed" in note.value.message_dict["note"][0]
    assert not IncidentFinding.objects.exists()


def test_withdraw_keeps_the_row_and_allows_recording_again(incident, release, requester):
    finding = findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="config")
    withdrawn = findings.withdraw_finding(finding=finding, actor=requester, note="it was the database")
    assert not withdrawn.is_standing
    assert (withdrawn.withdrawn_by, withdrawn.withdrawn_note) == (requester, "it was the database")
    assert IncidentNote.objects.filter(kind=NoteKind.FINDING, text__contains="no longer confirmed cause").exists()
    with pytest.raises(IncidentConflict, match="already withdrawn"):
        findings.withdraw_finding(finding=finding, actor=requester, note="twice")
    again = findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="it was")
    assert again.pk != finding.pk
    assert findings.standing_findings(incident) == [again]
    assert IncidentFinding.objects.count() == 2


def test_withdrawing_someone_elses_finding_needs_staff_or_a_lead(incident, release, requester, outsider):
    finding = findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="config")
    with pytest.raises(IncidentForbidden, match="Only the person who recorded this finding, staff or a team lead"):
        findings.withdraw_finding(finding=finding, actor=outsider, note="no")
    with pytest.raises(ValidationError):  # allowed, but a reason is still required
        findings.withdraw_finding(finding=finding, actor=UserFactory(is_staff=True), note="")
    other_lead = UserFactory()
    MembershipFactory(team=TeamFactory(), user=other_lead, is_lead=True)
    findings.withdraw_finding(finding=finding, actor=other_lead, note="the review says otherwise")
    finding.refresh_from_db()
    assert finding.withdrawn_by == other_lead


def test_reopening_keeps_the_findings(incident, release, requester):
    findings.record_finding(incident=incident, change=release, role=CAUSE, actor=requester, note="config")
    services.set_incident_status(incident=incident, status=IncidentStatus.OPEN, actor=requester)
    assert [f.change for f in findings.standing_findings(incident)] == [release]


def test_a_replayed_history_keeps_its_moments(incident, release, requester):
    at = timezone.now() - timedelta(days=3)
    finding = findings.record_finding(incident=incident, change=release, role=FIX, actor=requester, note="x", at=at)
    assert finding.recorded_at == at
    assert IncidentNote.objects.get(kind=NoteKind.FINDING).created == at
    assert ChangeActivity.objects.filter(change=release).latest("id").created == at
