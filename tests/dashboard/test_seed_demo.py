"""seed_demo: the release night of STORY.md, loaded once, consistent with the services' invariants."""

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F
from django.test.utils import override_settings
from django.utils import timezone

from apps.accounts.models import TeamMembership
from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.changes.choices import ActivityAction, ChangeKind, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.models import Change, ChangeActivity, ChangeHost, FreezeWindow
from apps.dashboard.demo import loader
from apps.dashboard.demo.next_steps import DUE_NOW_TITLE
from apps.dashboard.demo.people import USERS
from apps.dashboard.demo.release_night import MANUAL_STEP_MISSED_HOSTS
from apps.dashboard.demo.story import (
    BACKOUT_TITLE,
    INCIDENT_TITLE,
    LIBRARY_PATCH_ARTIFACT,
    LIBRARY_PATCH_TITLE,
    MANUAL_STEP_TITLE,
    RELEASE_APPROVED_ARTIFACT,
    RELEASE_DEPLOYED_ARTIFACT,
    RELEASE_TITLE,
    story_times,
)
from apps.incidents.choices import Severity
from apps.incidents.models import Incident
from apps.inventory.models import Host

# The demo's passwords are hashed for real; a fast hasher keeps the suite quick.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

COUNTED_MODELS = (Host, Change, ChangeHost, ChangeActivity, Approval, Incident, FreezeWindow, TeamMembership)


@dataclass(frozen=True)
class SeedRun:
    output: str
    started: datetime
    finished: datetime

    def times(self) -> dict[str, datetime]:
        """The story times the command used (its "now" lies between started and finished)."""
        outage = Incident.objects.get(title=INCIDENT_TITLE).started_at
        for moment in (self.started, self.finished):
            if story_times(moment)["outage_start"] == outage:
                return story_times(moment)
        raise AssertionError(f"The incident starts at {outage}, not at the story's outage time.")


def counts() -> dict[str, int]:
    totals = {model.__name__: model.objects.count() for model in COUNTED_MODELS}
    totals["User"] = get_user_model().objects.count()
    return totals


def assert_history_before(now: datetime) -> None:
    """Everything recorded happened before ``now``; what has not started yet is planned after it."""
    assert not ChangeActivity.objects.filter(created__gt=now).exists()
    assert not Approval.objects.filter(decided_at__gt=now).exists()
    assert not ChangeHost.objects.filter(state_changed_at__gt=now).exists()
    assert not Change.objects.filter(actual_start__gt=now).exists()
    assert not Change.objects.filter(actual_end__gt=now).exists()
    finished = (ChangeStatus.COMPLETED, ChangeStatus.FAILED, ChangeStatus.BACKED_OUT)
    assert not Change.objects.filter(status__in=finished, actual_end=None).exists()
    not_started = (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED, ChangeStatus.APPROVED)
    # One exception on purpose: the change ops finds due now (its window has just opened).
    not_started_yet = Change.objects.filter(status__in=not_started, planned_start__lte=now).exclude(title=DUE_NOW_TITLE)
    assert not not_started_yet.exists()
    assert not Change.objects.filter(status=ChangeStatus.IN_PROGRESS, planned_end__lte=now).exists()
    assert Incident.objects.get(title=INCIDENT_TITLE).resolved_at < now


def run_seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the whole class, inside a transaction rolled back afterwards; each test gets a savepoint."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        started = timezone.now()
        output = run_seed_demo()
        yield SeedRun(output=output, started=started, finished=timezone.now())
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestSeededDemo:
    def test_second_run_adds_nothing(self):
        before = counts()
        output = run_seed_demo()
        assert counts() == before
        assert "already loaded" in output
        assert "demo-dana-2026" in output

    def test_inventory_spreads_about_40_hosts_over_dev_qa_prod(self):
        per_env = {slug: Host.objects.filter(environment__slug=slug).count() for slug in ("dev", "qa", "prod")}
        assert 35 <= sum(per_env.values()) <= 45
        assert per_env["prod"] > per_env["qa"] > 0
        assert per_env["dev"] > 0
        assert Host.objects.filter(tags__slug="dmz", environment__slug="prod").exists()
        leads = set(TeamMembership.objects.filter(is_lead=True).values_list("user__username", flat=True))
        assert {"dana", "olga", "rita"} <= leads

    def test_about_60_changes_from_3_weeks_ago_to_2_weeks_ahead(self, seeded):
        now = seeded.finished
        assert 55 <= Change.objects.count() <= 65
        assert Change.objects.filter(eff_start__lt=now - timedelta(days=14)).exists()
        assert Change.objects.filter(eff_start__gt=now + timedelta(days=7)).exists()
        assert not Change.objects.filter(eff_start__lt=now - timedelta(days=22)).exists()
        assert not Change.objects.filter(planned_start__gt=now + timedelta(days=15)).exists()
        assert set(Change.objects.values_list("status", flat=True)) == set(ChangeStatus.values)
        assert set(Change.objects.values_list("environment__slug", flat=True)) == {"dev", "qa", "prod"}
        assert Change.objects.filter(change_type=ChangeType.EMERGENCY, title=BACKOUT_TITLE).exists()
        assert Change.objects.filter(change_type=ChangeType.STANDARD).exists()
        assert Change.objects.filter(is_unplanned=True, status=ChangeStatus.COMPLETED).exists()
        assert FreezeWindow.objects.filter(start__gt=now, environments__slug="prod").exists()
        assert_history_before(now)

    def test_release_was_edited_after_its_approval(self, seeded):
        times = seeded.times()
        release = Change.objects.get(title=RELEASE_TITLE)
        assert release.kind == ChangeKind.RELEASE
        assert release.status == ChangeStatus.COMPLETED
        assert release.artifact == RELEASE_DEPLOYED_ARTIFACT
        assert "SQL" in release.implementation_plan and release.backout_plan
        assert (release.planned_start, release.actual_start, release.actual_end) == (
            times["release_planned_start"],
            times["release_actual_start"],
            times["release_actual_end"],
        )
        hosts = Host.objects.filter(change_links__change=release)
        assert {host.environment.slug for host in hosts} == {"prod"}
        assert {service.slug for host in hosts for service in host.services.all()} == {
            "billing-web",
            "billing-api",
            "billing-db",
        }

        activities = list(release.activities.all())
        approved_at = next(a.created for a in activities if a.to_status == ChangeStatus.APPROVED)
        artifact_edits = [a for a in activities if a.action == ActivityAction.EDIT and "artifact" in a.changes]
        assert len(artifact_edits) == 1
        assert artifact_edits[0].created > approved_at
        assert artifact_edits[0].changes["artifact"] == {
            "before": RELEASE_APPROVED_ARTIFACT,
            "after": RELEASE_DEPLOYED_ARTIFACT,
        }
        # The leads first approved the build agreed in planning, not the one that ran.
        first_approval = release.approvals.filter(decided_by__username="dana").earliest("decided_at")
        assert first_approval.decision == Decision.APPROVED
        assert first_approval.change_version < release.version
        assert first_approval.decided_at < artifact_edits[0].created

    def test_library_patch_is_on_production_only(self):
        patch = Change.objects.get(title=LIBRARY_PATCH_TITLE)
        assert patch.artifact == LIBRARY_PATCH_ARTIFACT and patch.kind == ChangeKind.PATCH
        links = ChangeHost.objects.filter(change__artifact=LIBRARY_PATCH_ARTIFACT)
        assert set(links.values_list("host__environment__slug", flat=True)) == {"prod"}
        assert set(links.values_list("state", flat=True)) == {HostExecutionState.APPLIED}
        # The drift: QA runs the same services on hosts that never got the patch.
        patched_services = set(links.values_list("host__services__slug", flat=True))
        assert Host.objects.filter(environment__slug="qa", services__slug__in=patched_services).exists()

    def test_manual_step_reached_only_some_billing_web_hosts(self):
        step = Change.objects.get(title=MANUAL_STEP_TITLE)
        assert step.kind == ChangeKind.MANUAL
        states = dict(step.host_links.values_list("host__hostname", "state"))
        prod_web = set(
            Host.objects.filter(environment__slug="prod", services__slug="billing-web").values_list(
                "hostname", flat=True
            )
        )
        assert set(states) == prod_web
        pending = {name for name, state in states.items() if state == HostExecutionState.PENDING}
        applied = {name for name, state in states.items() if state == HostExecutionState.APPLIED}
        assert pending == set(MANUAL_STEP_MISSED_HOSTS)
        assert applied == prod_web - pending

    def test_incident_starts_at_the_outage(self, seeded):
        times = seeded.times()
        incident = Incident.objects.get(title=INCIDENT_TITLE)
        assert incident.severity == Severity.SEV1
        assert incident.started_at == times["outage_start"] == times["release_actual_end"] + timedelta(hours=5.5)
        assert {host.hostname for host in incident.hosts.all()} == set(
            Host.objects.filter(environment__slug="prod", services__slug="billing-web").values_list(
                "hostname", flat=True
            )
        )

    def test_link_rows_carry_their_change_window(self):
        assert ChangeHost.objects.count() > 200
        assert not ChangeHost.objects.exclude(eff_start=F("change__eff_start")).exists()
        assert not ChangeHost.objects.exclude(eff_end=F("change__eff_end")).exists()

    def test_history_went_through_the_services(self):
        for change in Change.objects.exclude(status=ChangeStatus.DRAFT).exclude(is_unplanned=True):
            last_move = change.activities.filter(action=ActivityAction.TRANSITION).last()
            assert last_move is not None and last_move.to_status == change.status, change.title
        for approval in Approval.objects.select_related("change"):
            assert approval.decided_by_id != approval.change.requester_id
        # One Approval row per decision: the demo must not add its own on top of the service's.
        decisions = Approval.objects.values("change", "decided_by", "decided_at").annotate(rows=Count("id"))
        assert not decisions.filter(rows__gt=1).exists()
        # Work planned into a freeze went through submission, so it carries its justification.
        assert Change.objects.filter(needs_freeze_exception=True).exists()
        assert not Change.objects.filter(needs_freeze_exception=True, freeze_justification="").exists()
        # Host states were recorded while the change ran, and completed changes mostly applied.
        executed = ChangeHost.objects.exclude(state_changed_at=None).filter(change__is_unplanned=False)
        for link in executed.select_related("change"):
            assert link.change.actual_start <= link.state_changed_at, link
            assert link.change.actual_end is None or link.state_changed_at <= link.change.actual_end + timedelta(
                hours=1
            )
        completed = ChangeHost.objects.filter(change__status=ChangeStatus.COMPLETED)
        assert completed.filter(state=HostExecutionState.APPLIED).count() > 0.8 * completed.count()

    def test_demo_users_log_in_with_the_printed_passwords(self, seeded, client):
        for user in USERS:
            assert user.username in seeded.output and user.password in seeded.output
            assert client.login(username=user.username, password=user.password), user.username
            client.logout()
        admin = get_user_model().objects.get(username="admin")
        assert admin.is_superuser and admin.is_staff


@pytest.mark.django_db
def test_a_failing_seed_leaves_nothing_behind(monkeypatch, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS

    def broken_background(**kwargs):
        raise RuntimeError("boom")

    # The background comes last: users, inventory and the whole story are written before it fails.
    monkeypatch.setattr(loader, "build_background", broken_background)
    before = counts()
    with pytest.raises(RuntimeError):
        run_seed_demo()
    assert counts() == before


@pytest.mark.django_db
def test_history_stays_in_the_past_when_seeded_just_after_midnight(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    now = timezone.now().replace(hour=0, minute=3, second=0, microsecond=0)
    loader.load_demo(now=now)
    assert_history_before(now)
    assert Incident.objects.get(title=INCIDENT_TITLE).started_at == story_times(now)["outage_start"]
