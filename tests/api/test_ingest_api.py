"""POST /api/v1/change-events: unplanned changes, execution reports, unknown hosts, idempotency, validation."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeActivity
from apps.ingest import services
from apps.ingest.models import IngestRecord
from apps.inventory.models import Host
from tests.factories import FreezeWindowFactory, HostFactory, ServiceFactory, environment

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-events"


def _event(**fields):
    return {
        "routing_key": "billing-web",
        "payload": {
            "summary": "Deployed billing 2.4.0",
            "source": "jenkins/billing#812",
            "custom_details": {"build": 812, "commit": "abc123"},
        },
        "links": [{"href": "https://ci.example.com/billing/812", "text": "Build 812"}],
        "hosts": ["web01.prod", "web02.prod"],
        "environment": "prod",
        "kind": "release",
        "artifact": "billing 2.4.0",
    } | fields


class TestUnplanned:
    def test_records_an_unplanned_change(self, as_user, requester, hosts):
        ServiceFactory(name="billing-web")
        response = as_user(requester).post(URL, _event(), format="json")
        assert response.status_code == 202, response.json()
        body = response.json()
        assert body["status"] == "success" and body["duplicate"] is False
        change = Change.objects.get(pk=body["change"])
        assert change.is_unplanned and change.status == ChangeStatus.COMPLETED
        assert change.kind == "release" and change.artifact == "billing 2.4.0"
        assert change.title == "Deployed billing 2.4.0" and '"commit": "abc123"' in change.summary
        assert change.requester == requester
        assert [service.name for service in change.services.all()] == ["billing-web"]
        assert sorted(change.host_links.values_list("host__hostname", flat=True)) == ["web01.prod", "web02.prod"]
        assert change.links == [{"kind": "other", "url": "https://ci.example.com/billing/812", "label": "Build 812"}]
        assert change.actual_start and change.actual_end and change.planned_end > change.planned_start
        created = ChangeActivity.objects.get(change=change, action=ActivityAction.CREATED)
        assert "ingest" in created.note and "jenkins/billing#812" in created.note
        assert any("unplanned" in warning for warning in body["warnings"])

    def test_times_and_status(self, as_user, requester, hosts):
        started = timezone.now() - timedelta(hours=2)
        ended = started + timedelta(minutes=30)
        event = _event(status="failed", started_at=started.isoformat(), ended_at=ended.isoformat())
        change = Change.objects.get(pk=as_user(requester).post(URL, event, format="json").json()["change"])
        assert change.status == ChangeStatus.FAILED
        assert change.actual_start == started and change.actual_end == ended
        running = as_user(requester).post(URL, _event(status="in_progress"), format="json").json()
        assert Change.objects.get(pk=running["change"]).actual_end is None

    def test_payload_timestamp_is_the_default_time(self, as_user, requester, hosts):
        at = timezone.now() - timedelta(days=1)
        event = _event(payload={"summary": "Rebooted", "timestamp": at.isoformat()})
        change = Change.objects.get(pk=as_user(requester).post(URL, event, format="json").json()["change"])
        assert change.actual_start == at == change.actual_end == change.eff_start

    def test_unknown_hosts_are_created_unverified_and_listed(self, as_user, requester, hosts):
        response = as_user(requester).post(URL, _event(hosts=["web01.prod", "NEW01.prod"]), format="json")
        body = response.json()
        assert response.status_code == 202
        assert body["unverified_hosts"] == ["new01.prod"]
        host = Host.objects.get(hostname="new01.prod")
        assert host.is_verified is False and host.environment.slug == "prod"
        assert Change.objects.get(pk=body["change"]).host_links.filter(host=host).exists()

    def test_environment_is_guessed_from_known_hosts(self, as_user, requester, hosts):
        event = _event(hosts=["web01.prod"])
        del event["environment"]
        body = as_user(requester).post(URL, event, format="json").json()
        assert Change.objects.get(pk=body["change"]).environment.slug == "prod"

    def test_missing_environment_when_hosts_must_be_created_is_400(self, as_user, requester):
        event = _event(hosts=["ghost01"])
        del event["environment"]
        response = as_user(requester).post(URL, event, format="json")
        assert response.status_code == 400
        assert "environment" in response.json() and "prod" in str(response.json())
        assert not Host.objects.filter(hostname="ghost01").exists() and not Change.objects.exists()

    @pytest.mark.parametrize(
        ("override", "field", "valid"),
        [
            ({"environment": "moon"}, "environment", "prod"),
            ({"kind": "magic"}, "kind", "release"),
            ({"services": ["nope"]}, "services", "billing-web"),
            ({"status": "approved"}, "status", "in_progress"),
        ],
    )
    def test_unknown_values_are_400_naming_the_valid_ones(self, as_user, requester, hosts, override, field, valid):
        ServiceFactory(name="billing-web")
        response = as_user(requester).post(URL, _event(**override), format="json")
        assert response.status_code == 400
        assert valid in str(response.json()[field])

    @pytest.mark.parametrize(
        "event",
        [
            {},
            {"payload": {}},
            {"payload": {"summary": ""}},
            {"payload": {"summary": "x", "timestamp": "soon"}},
            {"payload": {"summary": "x", "custom_details": ["not", "an", "object"]}},
            {"payload": {"summary": "x", "custom_details": {"k": "a\u0000b"}}},
            {"payload": {"summary": "x"}, "hosts": ["bad host!"]},
            {"payload": {"summary": "x"}, "links": [{"text": "no href"}]},
            {"payload": {"summary": "x"}, "change": 0},
            {"payload": {"summary": "x"}, "change": 123456},
            {"payload": {"summary": "x"}, "started_at": "2026-01-02T00:00:00Z", "ended_at": "2026-01-01T00:00:00Z"},
            {"payload": {"summary": "x"}, "started_at": "0001-01-01T00:00:00Z"},
        ],
    )
    def test_invalid_events_are_400(self, as_user, requester, event):
        response = as_user(requester).post(URL, event, format="json")
        assert response.status_code == 400, response.content
        assert not Change.objects.exists()

    def test_not_json_is_415_or_400(self, as_user, requester):
        client = as_user(requester)
        assert client.post(URL, "summary=x", content_type="application/x-www-form-urlencoded").status_code == 415
        assert client.post(URL, "{not json", content_type="application/json").status_code == 400

    def test_user_without_team_is_403(self, as_user, outsider, hosts):
        assert as_user(outsider).post(URL, _event(), format="json").status_code == 403

    def test_user_without_team_is_refused_before_the_body_is_read(self, as_user, outsider):
        response = as_user(outsider).post(URL, {"payload": "not an object"}, format="json")
        assert response.status_code == 403
        assert "members of a team" in response.json()["detail"]


class TestUnplannedRows:
    """What the single-pass recording of an unplanned change writes, and what it costs."""

    def test_hosts_activity_and_freeze_flag(self, as_user, requester, hosts):
        at = timezone.now() + timedelta(days=2)
        freeze = FreezeWindowFactory(name="Peak", start=at - timedelta(hours=1), end=at + timedelta(hours=1))
        freeze.environments.add(hosts[0].environment)
        event = _event(hosts=["web02.prod", "web01.prod"], started_at=at.isoformat(), ended_at=at.isoformat())
        change = Change.objects.get(pk=as_user(requester).post(URL, event, format="json").json()["change"])
        assert change.needs_freeze_exception is True
        assert change.planned_end == at + services.MIN_DURATION and change.eff_end == change.eff_start == at
        assert set(change.host_links.values_list("eff_start", "eff_end")) == {(at, at)}
        created = ChangeActivity.objects.get(change=change, action=ActivityAction.CREATED)
        assert created.changes == {"hosts": {"before": [], "after": ["web01.prod", "web02.prod"]}}
        assert created.to_status == ChangeStatus.COMPLETED and created.actor == requester

    def test_outside_a_freeze_no_exception_is_flagged(self, as_user, requester, hosts):
        body = as_user(requester).post(URL, _event(), format="json").json()
        assert Change.objects.get(pk=body["change"]).needs_freeze_exception is False

    def test_a_service_named_twice_is_linked_once(self, as_user, requester, hosts):
        ServiceFactory(name="billing-web")
        body = as_user(requester).post(URL, _event(services=["billing-web", "billing-web"]), format="json").json()
        assert list(Change.objects.get(pk=body["change"]).services.values_list("name", flat=True)) == ["billing-web"]

    def test_link_the_change_model_refuses_is_400(self, as_user, requester, hosts):
        response = as_user(requester).post(URL, _event(links=[{"href": "ftp://files.example.com/a"}]), format="json")
        assert response.status_code == 400, response.content
        assert not Change.objects.exists() and not IngestRecord.objects.exists()

    def test_known_hosts_in_two_environments_need_one_named(self, as_user, requester, hosts):
        HostFactory(hostname="db01.qa", environment=environment("qa"))
        event = _event(hosts=["web01.prod", "db01.qa"])
        del event["environment"]
        response = as_user(requester).post(URL, event, format="json")
        assert response.status_code == 400 and "one known environment" in str(response.json()["environment"])

    def test_many_unknown_hosts_cost_no_more_queries_than_one(self, as_user, requester, hosts):
        client = as_user(requester)
        client.post(URL, _event(hosts=["web01.prod"]), format="json")  # the token's first use is recorded once
        # A first unknown host also caches the content type its audit entry names, once per process.
        client.post(URL, _event(hosts=["new-warm-up"]), format="json")
        counts = []
        for names in (["new-a01"], [f"new-b{n:02d}" for n in range(20)]):
            with CaptureQueriesContext(connection) as queries:
                body = client.post(URL, _event(hosts=names), format="json").json()
            counts.append(len(queries))
            assert body["unverified_hosts"] == sorted(names)
            assert set(Host.objects.filter(hostname__in=names).values_list("is_verified", "environment__slug")) == {
                (False, "prod")
            }
        assert counts[0] == counts[1]

    def test_a_host_created_meanwhile_is_kept_as_it_is(self, as_user, requester, hosts, monkeypatch):
        real, calls = services._known_hosts, []

        def first_lookup_misses(names):
            calls.append(names)
            return {} if len(calls) == 1 else real(names)

        monkeypatch.setattr(services, "_known_hosts", first_lookup_misses)
        body = as_user(requester).post(URL, _event(hosts=["web01.prod"]), format="json").json()
        assert Host.objects.filter(hostname="web01.prod").count() == 1 and Host.objects.get(pk=hosts[0].pk).is_verified
        assert body["unverified_hosts"] == [] and not any("Unknown hosts" in w for w in body["warnings"])
        assert Change.objects.get(pk=body["change"]).host_links.get().host == hosts[0]

    def test_queries_per_event(self, as_user, requester, hosts, django_assert_max_num_queries):
        client = as_user(requester)
        event = _event(dedup_key="q0")
        del event["routing_key"]
        client.post(URL, event, format="json")
        # Token, environment, dedup key, team, hosts, freezes, then the change, links, activity (creation and host
        # states in one insert), its change.recorded outbox event, ingest record, and the transaction's begin and
        # end (a new change has no link rows whose window Change.save must update).
        with django_assert_max_num_queries(13):
            assert client.post(URL, event | {"dedup_key": "q1"}, format="json").status_code == 202


class TestIdempotency:
    def test_same_dedup_key_twice_creates_one_change(self, as_user, requester, hosts):
        client = as_user(requester)
        first = client.post(URL, _event(dedup_key="deploy-812", hosts=["web01.prod", "new01"]), format="json").json()
        again = client.post(URL, _event(dedup_key="deploy-812", hosts=["web01.prod", "new01"]), format="json").json()
        assert again["change"] == first["change"] and again["duplicate"] is True
        assert again["unverified_hosts"] == first["unverified_hosts"] == ["new01"]
        assert Change.objects.count() == 1 and IngestRecord.objects.count() == 1

    def test_idempotency_key_header(self, as_user, requester, hosts):
        client = as_user(requester)
        first = client.post(URL, _event(), format="json", HTTP_IDEMPOTENCY_KEY="run-77").json()
        again = client.post(URL, _event(), format="json", HTTP_IDEMPOTENCY_KEY="run-77").json()
        assert first["change"] == again["change"] and first["dedup_key"] == "run-77"
        assert Change.objects.count() == 1

    def test_header_and_body_keys_must_agree(self, as_user, requester, hosts):
        response = as_user(requester).post(URL, _event(dedup_key="a"), format="json", HTTP_IDEMPOTENCY_KEY="b")
        assert response.status_code == 400

    def test_without_a_key_each_event_counts(self, as_user, requester, hosts):
        client = as_user(requester)
        client.post(URL, _event(), format="json")
        client.post(URL, _event(), format="json")
        assert Change.objects.count() == 2


class TestExecutionReport:
    def test_updates_host_states_and_actual_times_of_an_approved_change(self, as_user, requester, planned, approve):
        change = approve(planned())
        started = timezone.now() - timedelta(minutes=20)
        event = {
            "payload": {"summary": "Rolled out to web01 and web02", "source": "argo"},
            "change": change.pk,
            "hosts": ["web01.prod", "web02.prod"],
            "started_at": started.isoformat(),
            "ended_at": timezone.now().isoformat(),
        }
        response = as_user(requester).post(URL, event, format="json")
        assert response.status_code == 202, response.json()
        assert response.json()["change"] == change.pk and response.json()["warnings"] == []
        change.refresh_from_db()
        states = dict(change.host_links.values_list("host__hostname", "state"))
        assert states == {"web01.prod": "applied", "web02.prod": "applied", "web03.prod": "pending"}
        assert change.actual_start == started and change.actual_end is not None
        assert change.status == ChangeStatus.APPROVED and not change.is_unplanned
        assert change.host_links.get(host__hostname="web01.prod").eff_start == started
        report = ChangeActivity.objects.filter(change=change, action=ActivityAction.COMMENT).last()
        assert "argo" in report.note

    def test_failed_status_marks_hosts_failed(self, as_user, requester, planned, approve):
        change = approve(planned())
        event = {"payload": {"summary": "Failed"}, "change": change.pk, "hosts": ["web03.prod"], "status": "failed"}
        as_user(requester).post(URL, event, format="json")
        assert change.host_links.get(host__hostname="web03.prod").state == HostExecutionState.FAILED

    def test_flagged_when_the_change_was_not_approved(self, as_user, requester, planned):
        change = planned()  # a draft
        event = {"payload": {"summary": "Ran it anyway"}, "change": change.pk, "hosts": ["web01.prod"]}
        body = as_user(requester).post(URL, event, format="json").json()
        assert any("not approved" in warning for warning in body["warnings"])
        report = ChangeActivity.objects.filter(change=change, action=ActivityAction.COMMENT).last()
        assert "not approved" in report.note
        assert change.host_links.get(host__hostname="web01.prod").state == HostExecutionState.APPLIED

    def test_flagged_outside_the_window_and_on_unplanned_hosts(self, as_user, requester, planned, approve):
        change = approve(planned())
        late = (timezone.now() + timedelta(hours=5)).isoformat()
        event = {
            "payload": {"summary": "Late run", "timestamp": late},
            "change": change.pk,
            "hosts": ["web01.prod", "extra01"],
            "artifact": "billing 2.4.1",
        }
        body = as_user(requester).post(URL, event, format="json").json()
        text = " ".join(body["warnings"])
        assert "outside the approved window" in text
        assert "not in the plan" in text and "extra01" in text
        assert "differs from the planned" in text
        assert body["unverified_hosts"] == ["extra01"]
        assert change.host_links.filter(host__hostname="extra01", state="applied").exists()

    def test_report_needs_edit_rights(self, as_user, outsider, planned, team):
        change = planned()
        event = {"payload": {"summary": "x"}, "change": change.pk, "hosts": ["web01.prod"]}
        assert as_user(outsider).post(URL, event, format="json").status_code == 403
        assert not IngestRecord.objects.exists()

    def test_execution_report_is_idempotent(self, as_user, requester, planned, approve):
        change = approve(planned())
        event = {"payload": {"summary": "x"}, "change": change.pk, "hosts": ["web01.prod"], "dedup_key": "k1"}
        client = as_user(requester)
        client.post(URL, event, format="json")
        count = ChangeActivity.objects.filter(change=change).count()
        assert client.post(URL, event, format="json").json()["duplicate"] is True
        assert ChangeActivity.objects.filter(change=change).count() == count

    def test_queries_per_report(self, as_user, requester, planned, approve, django_assert_max_num_queries):
        change, client = approve(planned()), as_user(requester)
        client.post(URL, {"payload": {"summary": "x"}, "change": change.pk, "hosts": ["web01.prod"]}, format="json")
        event = {"payload": {"summary": "y"}, "change": change.pk, "hosts": ["web02.prod", "web03.prod"]}
        # Token, the caller's teams (may they record changes at all), change, hosts, locked change, its links, the
        # host states (lock, update, activity, change.host_states event, in a savepoint), the actual times (change,
        # host and service link rows), report activity, ingest record, and the transaction.
        with django_assert_max_num_queries(19):
            assert client.post(URL, event, format="json").status_code == 202


@pytest.mark.django_db(transaction=True)
def test_integrity_error_on_a_racing_duplicate_answers_as_a_retry(as_user, requester, hosts, monkeypatch):
    """Two requests with one key: the loser's insert hits the unique constraint and gets the winner's answer."""
    client = as_user(requester)
    winner = client.post(URL, _event(dedup_key="race"), format="json").json()
    real_filter = services.IngestRecord.objects.filter
    calls = {"n": 0}

    def first_lookup_misses(*args, **kwargs):
        calls["n"] += 1
        result = real_filter(*args, **kwargs)
        return result.none() if calls["n"] == 1 else result

    monkeypatch.setattr(services.IngestRecord.objects, "filter", first_lookup_misses)
    loser = client.post(URL, _event(dedup_key="race"), format="json")
    assert loser.status_code == 202
    assert loser.json()["change"] == winner["change"] and loser.json()["duplicate"] is True
    assert Change.objects.count() == 1
