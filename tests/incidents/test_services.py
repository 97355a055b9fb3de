"""Bridge writes: incidents, notes, verdicts, backouts; each leaves a timeline entry and respects the rules."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import ChangeActivity
from apps.events.choices import EventType
from apps.events.models import OutboxEvent
from apps.incidents import services
from apps.incidents.choices import IncidentStatus, NoteKind, Severity, Verdict
from apps.incidents.models import Backout, IncidentNote, SuspectMark
from apps.incidents.services import IncidentError, IncidentForbidden
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.incidents.builders import change, host, service

A = HostExecutionState.APPLIED
pytestmark = pytest.mark.django_db


@pytest.fixture
def web():
    return service("web")


@pytest.fixture
def hosts(web):
    return [host(f"web{n:02d}", services=[web]) for n in range(1, 5)]


@pytest.fixture
def incident(hosts, requester):
    return services.open_incident(
        actor=requester,
        title="Billing errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=hosts[:2],
    )


@pytest.fixture
def release(hosts, team, requester):
    now = timezone.now()
    return change(
        title="Release 2.4",
        at=now,
        ended_before=timedelta(hours=3),
        hosts={h: A for h in hosts},
        team=team,
        requester=requester,
    )


def test_open_incident_needs_a_host_or_service_and_a_past_start(requester, hosts, web):
    with pytest.raises(ValidationError) as nothing:
        services.open_incident(
            actor=requester, title="x", severity=Severity.SEV2, started_at=timezone.now(), hosts=[], services=[]
        )
    assert "hosts" in nothing.value.message_dict
    with pytest.raises(ValidationError) as future:
        services.open_incident(
            actor=requester,
            title="x",
            severity=Severity.SEV2,
            started_at=timezone.now() + timedelta(hours=2),
            hosts=hosts,
        )
    assert "started_at" in future.value.message_dict
    incident = services.open_incident(
        actor=requester, title="By service", severity=Severity.SEV3, started_at=timezone.now(), services=[web]
    )
    assert incident.window_hours == 72 and incident.opened_by == requester
    assert incident.notes.get().kind == NoteKind.OPENED


def test_status_moves_follow_the_table(incident, outsider):
    incident = services.set_incident_status(incident=incident, status=IncidentStatus.MITIGATED, actor=outsider)
    assert incident.mitigated_at is not None and incident.resolved_at is None
    incident = services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=outsider)
    assert incident.resolved_at is not None
    with pytest.raises(IncidentError, match="can move to: Open"):
        services.set_incident_status(incident=incident, status=IncidentStatus.MITIGATED, actor=outsider)
    incident = services.set_incident_status(incident=incident, status=IncidentStatus.OPEN, actor=outsider)
    assert incident.resolved_at is None
    kinds = list(incident.notes.values_list("kind", flat=True))
    assert kinds.count(NoteKind.STATUS) == 3


def test_notes_and_marks_by_any_participant(incident, release, outsider):
    with pytest.raises(ValidationError):
        services.add_note(incident=incident, actor=outsider, text="   ")
    services.add_note(incident=incident, actor=outsider, text="Restarted web01: no change")
    with pytest.raises(ValidationError):
        services.mark_suspect(incident=incident, change=release, verdict=Verdict.RULED_OUT, actor=outsider, note="")
    services.mark_suspect(
        incident=incident, change=release, verdict=Verdict.LIKELY_CAUSE, actor=outsider, note="errors began at 00:40"
    )
    mark = SuspectMark.objects.get()
    assert mark.marked_by_name == "outsider" and mark.verdict == Verdict.LIKELY_CAUSE
    assert IncidentNote.objects.filter(kind=NoteKind.MARK, change=release).exists()
    logged = ChangeActivity.objects.get(change=release, action=ActivityAction.COMMENT)
    assert "Marked likely cause on INC-" in logged.note and logged.actor == outsider


def test_backout_start_progress_and_completion(incident, release, requester, hosts):
    with pytest.raises(ValidationError):
        services.start_backout(incident=incident, change=release, actor=requester, note=" ")
    backout = services.start_backout(incident=incident, change=release, actor=requester, note="Reinstall 2.3.7")
    assert backout.started_by == requester and not backout.is_done
    with pytest.raises(IncidentError, match="already started"):
        services.start_backout(incident=incident, change=release, actor=requester, note="again")

    updated = services.record_rollback(backout=backout, hosts=hosts[:3], actor=requester)
    assert updated == ["web01", "web02", "web03"]
    progress = services.backout_progress(release)
    assert (progress.rolled_back, progress.total, progress.label) == (3, 4, "rolled back on 3 of 4")
    assert progress.remaining == ["web04"]

    with pytest.raises(ValidationError):
        services.complete_backout(backout=backout, actor=requester, note="")
    backout = services.complete_backout(backout=backout, actor=requester, note="2.3.7 running, smoke tests pass")
    release.refresh_from_db()
    assert release.status == ChangeStatus.BACKED_OUT
    transition = release.activities.get(action=ActivityAction.TRANSITION, to_status=ChangeStatus.BACKED_OUT)
    assert "rolled back on 3 of 4" in transition.note and "Not rolled back: web04" in transition.note
    assert backout.completed_at is not None
    assert release.activities.filter(action=ActivityAction.HOST_STATE).exists()
    with pytest.raises(IncidentError, match="already complete"):
        services.record_rollback(backout=backout, hosts=hosts[3:], actor=requester)


def test_backout_rights_edit_rights_staff_or_any_team_lead(incident, release, outsider):
    with pytest.raises(IncidentForbidden):
        services.start_backout(incident=incident, change=release, actor=outsider, note="let me")
    ops_lead = UserFactory(username="olga")
    MembershipFactory(team=TeamFactory(name="Ops", slug="ops"), user=ops_lead, is_lead=True)
    backout = services.start_backout(incident=incident, change=release, actor=ops_lead, note="Bridge decision")
    services.record_rollback(backout=backout, hosts=release.hosts.all(), actor=ops_lead)
    services.complete_backout(backout=backout, actor=ops_lead, note="done")
    release.refresh_from_db()
    assert release.status == ChangeStatus.BACKED_OUT
    # Not a member of the change's team: the log records the lead, and the right they used on the change's behalf.
    transition = release.activities.get(to_status=ChangeStatus.BACKED_OUT)
    assert transition.actor == ops_lead and transition.acting_as == "team lead: backout"
    assert "by olga (team lead)" in transition.note
    rolled = release.activities.get(action="host_state")
    assert rolled.actor == ops_lead and rolled.acting_as == "team lead: backout"
    assert Backout.objects.get().started_by == ops_lead


def test_backout_refused_for_a_change_that_never_ran_or_a_resolved_incident(incident, hosts, requester, team):
    planned = change(
        title="planned", at=timezone.now(), ended_before=-timedelta(days=1), status=ChangeStatus.APPROVED, team=team
    )
    with pytest.raises(IncidentError, match="only a change in progress, completed or failed"):
        services.start_backout(incident=incident, change=planned, actor=requester, note="no")
    done = change(title="done", at=timezone.now(), ended_before=timedelta(hours=1), team=team, hosts={hosts[0]: A})
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    incident.refresh_from_db()
    with pytest.raises(IncidentError, match="reopen it"):
        services.start_backout(incident=incident, change=done, actor=requester, note="late")


@pytest.mark.django_db
def test_opening_and_resolving_publish_webhook_events(incident, outsider):
    opened = OutboxEvent.objects.get(event_type=EventType.INCIDENT_OPENED)
    assert opened.payload["incident"]["id"] == incident.pk
    assert opened.payload["incident"]["hosts"] == sorted(incident.hosts.values_list("hostname", flat=True))
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=outsider)
    resolved = OutboxEvent.objects.get(event_type=EventType.INCIDENT_RESOLVED)
    assert resolved.payload["incident"]["status"] == "resolved"
    assert resolved.payload["incident"]["resolved_at"] is not None
