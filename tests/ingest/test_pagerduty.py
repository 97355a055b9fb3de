"""POST /v2/change/enqueue: PagerDuty Events API v2 change events, unchanged, authorised by an integration key."""

import json
from datetime import UTC, datetime, timedelta

import pdpyras
import pytest
from django.test import Client
from django.utils import timezone

from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeActivity
from apps.ingest import keys
from apps.ingest.models import IngestRecord
from tests.factories import HostFactory, ServiceFactory, environment

pytestmark = pytest.mark.django_db
URL = "/v2/change/enqueue"
PD_JSON = "application/vnd.pagerduty+json;version=2"


@pytest.fixture
def integration(lead, team):
    service = ServiceFactory(name="billing-web", slug="billing-web")
    return keys.create_integration_key(
        actor=lead, name="GitHub Actions: billing", environment=environment("prod"), team=team, service=service
    )


@pytest.fixture
def anonymous():
    # No session, no CSRF token, no Authorization header: only the routing key in the body.
    return Client(enforce_csrf_checks=True)


def documented_event(routing_key: str, **payload) -> dict:
    """The example of PagerDuty's "Send Change Events" page."""
    return {
        "routing_key": routing_key,
        "payload": {
            "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
            "timestamp": "2020-07-17T08:42:58.315+0000",
            "source": "prod-build-agent-i-0b148d1040d565540",
            "custom_details": {"build_state": "passed", "build_number": "2", "run_time": "1236s"},
        }
        | payload,
        "links": [{"href": "https://acme.pagerduty.dev/build/2", "text": "View more details in Acme!"}],
    }


def post(client, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(URL, data, content_type="application/json", **headers)


class TestDocumentedRequest:
    def test_records_an_unplanned_completed_change_where_the_key_routes(self, anonymous, integration, team):
        response = post(anonymous, documented_event(integration.plaintext), HTTP_ACCEPT=PD_JSON)
        assert response.status_code == 202 and response["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == "success" and body["message"] == "Change event processed"
        change = Change.objects.get(pk=body["change"])
        assert change.title == "Build Success: Increase snapshot create timeout to 30 seconds"
        assert change.is_unplanned and change.status == ChangeStatus.COMPLETED
        assert change.actual_start == datetime(2020, 7, 17, 8, 42, 58, 315000, tzinfo=UTC) == change.eff_start
        assert (change.environment.slug, change.team, change.kind) == ("prod", team, "release")
        assert [service.slug for service in change.services.all()] == ["billing-web"]
        assert change.links == [
            {"kind": "other", "url": "https://acme.pagerduty.dev/build/2", "label": "View more details in Acme!"}
        ]
        assert '"build_number": "2"' in change.summary and change.requester is None
        created = ChangeActivity.objects.get(change=change, action=ActivityAction.CREATED)
        assert "via the integration key “GitHub Actions: billing”" in created.note and created.actor is None
        record = IngestRecord.objects.get(change=change)
        assert record.integration == integration.key and record.payload["routing_key"] == integration.plaintext

    def test_images_and_unknown_keys_are_kept_and_never_an_error(self, anonymous, integration):
        event = documented_event(integration.plaintext) | {
            "images": [{"src": "https://chart.example.com/x.png", "href": "https://example.com", "alt": "chart"}],
            "client": "Acme",
        }
        response = post(anonymous, event)
        assert response.status_code == 202, response.json()
        assert IngestRecord.objects.get().payload["images"][0]["alt"] == "chart"

    @pytest.mark.parametrize(
        "stamp, expected",
        [
            ("2026-11-27T06:10:00Z", datetime(2026, 11, 27, 6, 10, tzinfo=UTC)),
            ("2026-11-27T07:10:00.123456+0100", datetime(2026, 11, 27, 6, 10, 0, 123456, tzinfo=UTC)),
            ("2026-11-27T06:10:00+00:00Z", datetime(2026, 11, 27, 6, 10, tzinfo=UTC)),  # the `pagerduty` package
        ],
    )
    def test_timestamps_as_clients_write_them(self, anonymous, integration, stamp, expected):
        body = post(anonymous, documented_event(integration.plaintext, timestamp=stamp)).json()
        assert Change.objects.get(pk=body["change"]).actual_start == expected

    def test_without_a_timestamp_it_happened_now(self, anonymous, integration):
        event = documented_event(integration.plaintext)
        del event["payload"]["timestamp"]
        change = Change.objects.get(pk=post(anonymous, event).json()["change"])
        assert abs(change.actual_start - timezone.now()) < timedelta(seconds=30)


class TestHostsAndHints:
    def test_hosts_from_custom_details_with_per_host_outcomes(self, anonymous, integration):
        HostFactory(hostname="web01.prod")
        details = {"hosts": ["web01.prod", {"name": "web02.prod", "state": "failed"}], "artifact": "billing 2.4.1"}
        body = post(anonymous, documented_event(integration.plaintext, custom_details=details)).json()
        change = Change.objects.get(pk=body["change"])
        states = dict(change.host_links.values_list("host__hostname", "state"))
        assert states == {"web01.prod": HostExecutionState.APPLIED, "web02.prod": HostExecutionState.FAILED}
        assert change.artifact == "billing 2.4.1" and body["warnings"]
        assert "Unknown hosts created as unverified: web02.prod." in body["warnings"]

    def test_a_comma_separated_string_of_hosts(self, anonymous, integration):
        details = {"hosts": "web01.prod, web02.prod web03.prod"}
        change = Change.objects.get(
            pk=post(anonymous, documented_event(integration.plaintext, custom_details=details)).json()["change"]
        )
        assert change.host_links.count() == 3

    def test_payload_source_as_the_hostname(self, anonymous, lead, team):
        new = keys.create_integration_key(
            actor=lead, name="agent", environment=environment("qa"), team=team, host_field="payload.source"
        )
        body = post(anonymous, documented_event(new.plaintext, source="ci-agent-07.qa")).json()
        change = Change.objects.get(pk=body["change"])
        assert list(change.host_links.values_list("host__hostname", flat=True)) == ["ci-agent-07.qa"]
        assert change.environment.slug == "qa"

    def test_a_source_that_is_no_hostname_is_a_warning_not_an_error(self, anonymous, lead, team):
        new = keys.create_integration_key(
            actor=lead, name="agent", environment=environment("qa"), team=team, host_field="payload.source"
        )
        response = post(anonymous, documented_event(new.plaintext, source="GitHub Actions (billing)"))
        assert response.status_code == 202
        assert any("Not hostnames, so not linked" in warning for warning in response.json()["warnings"])
        assert not Change.objects.get(pk=response.json()["change"]).host_links.exists()

    def test_hints_in_custom_details_and_a_hint_that_names_nothing(self, anonymous, integration):
        details = {"environment": "qa", "kind": "config"}
        change = Change.objects.get(
            pk=post(anonymous, documented_event(integration.plaintext, custom_details=details)).json()["change"]
        )
        assert (change.environment.slug, change.kind) == ("qa", "config")
        response = post(
            anonymous, documented_event(integration.plaintext, custom_details={"environment": "production"})
        )
        assert response.status_code == 202
        assert Change.objects.get(pk=response.json()["change"]).environment.slug == "prod"
        assert any("custom_details.environment 'production'" in w for w in response.json()["warnings"])


class TestRefusals:
    def _invalid(self, response, status=400):
        assert response.status_code == status and response["Content-Type"] == "application/json"
        body = response.json()
        assert body["status"] == "invalid event" and body["message"] and isinstance(body["errors"], list)
        assert not Change.objects.exists()
        return body["errors"]

    def test_empty_body(self, anonymous):
        assert self._invalid(post(anonymous, "")) == ["The request body is empty."]

    @pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "[" * 5000])
    def test_not_a_json_object(self, anonymous, raw):
        self._invalid(post(anonymous, raw))

    def test_missing_and_overlong_summary(self, anonymous, integration):
        event = documented_event(integration.plaintext)
        del event["payload"]["summary"]
        assert self._invalid(post(anonymous, event)) == ["payload.summary: This field is required."]
        long = documented_event(integration.plaintext, summary="x" * 1025)
        assert "payload.summary: Ensure this field has no more than 1024 characters." in self._invalid(
            post(anonymous, long)
        )

    def test_bad_timestamp_and_link(self, anonymous, integration):
        event = documented_event(integration.plaintext, timestamp="yesterday") | {"links": [{"text": "no href"}]}
        errors = self._invalid(post(anonymous, event))
        assert (
            any(e.startswith("payload.timestamp:") for e in errors)
            and "links[0].href: This field is required." in errors
        )

    def test_wrong_missing_and_revoked_keys(self, anonymous, integration, lead):
        assert self._invalid(post(anonymous, documented_event("0" * 32)))[0].startswith("'routing_key' is missing")
        event = documented_event(integration.plaintext)
        del event["routing_key"]
        self._invalid(post(anonymous, event))
        keys.revoke_integration_key(actor=lead, key=integration.key)
        self._invalid(post(anonymous, documented_event(integration.plaintext)))

    def test_bodies_past_512_kb(self, anonymous, integration):
        event = documented_event(integration.plaintext, custom_details={"log": "x" * (512 * 1024)})
        self._invalid(post(anonymous, event), status=413)

    def test_nul_and_lone_surrogates(self, anonymous, integration):
        self._invalid(post(anonymous, documented_event(integration.plaintext, summary="a\u0000b")))
        raw = json.dumps(documented_event(integration.plaintext)).replace("Build Success", "Build \\ud800")
        self._invalid(post(anonymous, raw))

    def test_only_post(self, anonymous):
        response = anonymous.get(URL)
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert response.json()["status"] == "invalid event"

    def test_the_path_is_exact(self, anonymous, integration):
        assert post(anonymous, documented_event(integration.plaintext)).status_code == 202
        assert anonymous.post(URL + "/", "{}", content_type="application/json").status_code == 404

    def test_throttled_like_pagerduty(self, anonymous, integration, settings):
        settings.PAGERDUTY_RATE_PER_MINUTE = 2
        for number in range(2):
            assert (
                post(anonymous, documented_event(integration.plaintext, summary=f"deploy {number}")).status_code == 202
            )
        response = post(anonymous, documented_event(integration.plaintext, summary="one too many"))
        assert response.status_code == 429 and response.json()["status"] == "throttle event"


class TestRetries:
    def test_an_identical_event_within_the_window_is_one_change(self, anonymous, integration):
        first = post(anonymous, documented_event(integration.plaintext)).json()
        again = post(anonymous, documented_event(integration.plaintext)).json()
        assert again["change"] == first["change"] and again["duplicate"] is True and first["duplicate"] is False
        assert Change.objects.count() == 1
        other = post(anonymous, documented_event(integration.plaintext, summary="Another build")).json()
        assert other["change"] != first["change"]

    def test_after_the_window_the_same_body_is_a_new_change(self, anonymous, integration, settings):
        first = post(anonymous, documented_event(integration.plaintext)).json()
        IngestRecord.objects.update(
            created=timezone.now() - timedelta(seconds=settings.PAGERDUTY_DEDUP_WINDOW_SECONDS + 1)
        )
        later = post(anonymous, documented_event(integration.plaintext)).json()
        assert later["change"] != first["change"] and later["duplicate"] is False


@pytest.mark.django_db(transaction=True)
class TestRealClients:
    def test_pdpyras_change_events_session_with_only_its_url_changed(self, live_server, lead, team):
        new = keys.create_integration_key(actor=lead, name="pdpyras", environment=environment("prod"), team=team)
        session = pdpyras.ChangeEventsAPISession(new.plaintext)
        session.url = live_server.url
        session.submit(
            summary="Deployed billing 2.4.0",
            source="jenkins/billing#812",
            custom_details={"hosts": ["web01.prod", "web02.prod"], "artifact": "billing 2.4.0"},
            links=[{"href": "https://ci.example.com/billing/812", "text": "Build 812"}],
        )
        change = Change.objects.get()
        assert change.title == "Deployed billing 2.4.0" and change.artifact == "billing 2.4.0"
        assert set(change.host_links.values_list("state", flat=True)) == {HostExecutionState.APPLIED}
        assert abs(change.actual_start - timezone.now()) < timedelta(minutes=1)

    def test_pdpyras_reports_our_refusal_as_a_client_error(self, live_server, db):
        session = pdpyras.ChangeEventsAPISession("f" * 32)
        session.url = live_server.url
        with pytest.raises(pdpyras.PDClientError) as refused:
            session.submit(summary="Deployed")
        assert refused.value.response.status_code == 400
        assert refused.value.response.json()["status"] == "invalid event"
