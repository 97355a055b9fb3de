"""Per-host states from change events: what the event's status implies, or each host's own outcome."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.events.models import OutboxEvent
from tests.factories import HostFactory, environment

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-events"
ENDED = timezone.now().replace(microsecond=0) - timedelta(hours=3)


@pytest.fixture
def client(as_user, requester):
    return as_user(requester)


def _event(hosts, **fields):
    return {
        "payload": {"summary": "Deployed billing 2.4.0", "source": "jenkins"},
        "hosts": hosts,
        "environment": "prod",
        "kind": "release",
        "artifact": "billing 2.4.0",
        "started_at": (ENDED - timedelta(minutes=20)).isoformat(),
        "ended_at": ENDED.isoformat(),
    } | fields


def _states(change_id) -> dict[str, tuple[str, object]]:
    links = ChangeHost.objects.filter(change_id=change_id).values_list("host__hostname", "state", "state_changed_at")
    return {name: (state, at) for name, state, at in links}


def _post(client, body):
    response = client.post(URL, body, format="json")
    assert response.status_code == 202, response.json()
    return response.json()


class TestUnplanned:
    def test_completed_event_marks_every_host_applied_at_its_end(self, client):
        body = _post(client, _event(["web01.prod", "web02.prod"]))
        assert _states(body["change"]) == {
            "web01.prod": (HostExecutionState.APPLIED, ENDED),
            "web02.prod": (HostExecutionState.APPLIED, ENDED),
        }
        entry = ChangeActivity.objects.get(change_id=body["change"], action=ActivityAction.HOST_STATE)
        assert entry.changes == {
            "web01.prod": {"before": "pending", "after": "applied"},
            "web02.prod": {"before": "pending", "after": "applied"},
        }
        assert entry.note == "Reported by the change event: applied on 2." and entry.actor_name == "requester"

    def test_failed_event_marks_hosts_failed(self, client):
        body = _post(client, _event(["web01.prod"], status="failed"))
        assert _states(body["change"]) == {"web01.prod": (HostExecutionState.FAILED, ENDED)}
        assert Change.objects.get(pk=body["change"]).status == ChangeStatus.FAILED

    def test_in_progress_event_leaves_hosts_pending_and_the_change_in_progress(self, client):
        body = _post(client, _event(["web01.prod"], status="in_progress"))
        change = Change.objects.get(pk=body["change"])
        assert change.status == ChangeStatus.IN_PROGRESS and change.actual_end is None
        assert _states(change.pk) == {"web01.prod": (HostExecutionState.PENDING, None)}
        assert not ChangeActivity.objects.filter(change=change, action=ActivityAction.HOST_STATE).exists()

    def test_one_event_says_applied_on_seven_failed_on_one(self, client):
        failed_at = ENDED - timedelta(minutes=5)
        hosts = [f"web{n:02d}.prod" for n in range(1, 8)] + [
            {"name": "WEB08.prod", "state": "failed", "at": failed_at.isoformat()}
        ]
        body = _post(client, _event(hosts))
        states = _states(body["change"])
        assert states.pop("web08.prod") == (HostExecutionState.FAILED, failed_at)
        assert set(states.values()) == {(HostExecutionState.APPLIED, ENDED)} and len(states) == 7
        entry = ChangeActivity.objects.get(change_id=body["change"], action=ActivityAction.HOST_STATE)
        assert entry.note == "Reported by the change event: applied on 7, failed on 1."

    def test_an_in_progress_event_may_name_hosts_already_done(self, client):
        body = _post(client, _event(["web01.prod", {"name": "web02.prod", "state": "applied"}], status="in_progress"))
        assert _states(body["change"]) == {
            "web01.prod": (HostExecutionState.PENDING, None),
            "web02.prod": (HostExecutionState.APPLIED, ENDED),
        }

    @pytest.mark.parametrize(
        "hosts, message",
        [
            ([{"name": "web01.prod", "state": "exploded"}], "Unknown state 'exploded'"),
            ([{"name": "web01.prod", "when": "now"}], "Unknown keys when"),
            ([{"state": "failed"}], "Give a hostname or an object"),
            ([42], "Give a hostname or an object"),
            ([{"name": "web01.prod", "at": "yesterday"}], "Datetime has wrong format"),
            (["web01.prod", {"name": "web01.prod", "state": "failed"}], "listed twice with different outcomes"),
            ([{"name": "bad host!"}], "Not valid hostnames: bad host!"),
        ],
    )
    def test_bad_host_items_are_400_naming_the_problem(self, client, hosts, message):
        response = client.post(URL, _event(hosts), format="json")
        assert response.status_code == 400
        assert message in str(response.json()["hosts"]), response.json()
        assert not Change.objects.exists()

    def test_the_same_host_twice_with_one_outcome_is_linked_once(self, client):
        body = _post(client, _event(["web01.prod", {"name": "web01.prod"}]))
        assert list(_states(body["change"])) == ["web01.prod"]


class TestExecutionReport:
    def test_per_host_outcomes_on_a_planned_change(self, client, planned, approve):
        change = approve(planned())  # web01..web03.prod, pending
        failed_at = ENDED - timedelta(minutes=1)
        hosts = ["web01.prod", {"name": "web02.prod", "state": "failed", "at": failed_at.isoformat()}]
        body = _post(client, _event(hosts, change=change.pk))
        assert _states(change.pk) == {
            "web01.prod": (HostExecutionState.APPLIED, ENDED),
            "web02.prod": (HostExecutionState.FAILED, failed_at),
            "web03.prod": (HostExecutionState.PENDING, None),
        }
        report = ChangeActivity.objects.filter(change=change, action=ActivityAction.COMMENT).latest("created")
        assert "completed, 2 hosts (applied on 1, failed on 1)." in report.note
        assert body["change"] == change.pk

    def test_an_explicit_skip_in_an_in_progress_report(self, client, planned, approve):
        change = approve(planned())
        _post(client, _event([{"name": "web03.prod", "state": "skipped"}], change=change.pk, status="in_progress"))
        assert _states(change.pk)["web03.prod"] == (HostExecutionState.SKIPPED, ENDED)
        assert Change.objects.get(pk=change.pk).actual_end is None

    def test_a_repeated_report_changes_nothing_and_publishes_nothing(self, client, planned, approve):
        change = approve(planned())
        _post(client, _event(["web01.prod"], change=change.pk))
        events = OutboxEvent.objects.count()
        _post(client, _event(["web01.prod"], change=change.pk))
        assert OutboxEvent.objects.filter(event_type="change.host_states").count() == 1
        assert OutboxEvent.objects.count() == events
        assert ChangeActivity.objects.filter(change=change, action=ActivityAction.HOST_STATE).count() == 1


class TestBackfillMigration:
    @pytest.mark.django_db(transaction=True)
    def test_recorded_changes_get_the_states_their_status_implies(self):
        executor = MigrationExecutor(connection)
        before, after = [("changes", "0004_changeservice")], [("changes", "0005_ingested_host_states")]
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        Change_, ChangeHost_ = old.get_model("changes", "Change"), old.get_model("changes", "ChangeHost")
        end = timezone.now() - timedelta(hours=1)
        made = {}
        for title, status, unplanned in [
            ("ok", "completed", True),
            ("broken", "failed", True),
            ("running", "in_progress", True),
            ("planned", "completed", False),
        ]:
            made[title] = Change_.objects.create(
                title=title,
                status=status,
                is_unplanned=unplanned,
                planned_start=end - timedelta(hours=1),
                planned_end=end,
                eff_start=end - timedelta(hours=1),
                eff_end=end,
                environment_id=environment("prod").pk,
            )
        web01, web02 = HostFactory(hostname="web01.prod"), HostFactory(hostname="web02.prod")
        for change in made.values():
            for host in (web01, web02):
                ChangeHost_.objects.create(change=change, host_id=host.pk, eff_start=change.eff_start, eff_end=end)
        set_by_hand = ChangeHost_.objects.get(change=made["ok"], host_id=web02.pk)
        set_by_hand.state, set_by_hand.state_changed_at = "skipped", end
        set_by_hand.save()
        executor.loader.build_graph()
        executor.migrate(after)
        # Back to the current schema before reading through the current models (later migrations add columns).
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

        assert _states(made["ok"].pk) == {"web01.prod": ("applied", end), "web02.prod": ("skipped", end)}
        assert _states(made["broken"].pk) == {"web01.prod": ("failed", end), "web02.prod": ("failed", end)}
        assert {state for state, _at in _states(made["running"].pk).values()} == {"pending"}
        assert {state for state, _at in _states(made["planned"].pk).values()} == {"pending"}
        entry = ChangeActivity.objects.get(change_id=made["ok"].pk)
        assert entry.action == ActivityAction.HOST_STATE and entry.changes == {
            "web01.prod": {"before": "pending", "after": "applied"}
        }
        assert ChangeActivity.objects.filter(change_id__in=[made["running"].pk, made["planned"].pk]).count() == 0
