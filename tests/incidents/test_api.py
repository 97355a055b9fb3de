"""GET /api/v1/hosts/{hostname}/suspects and /api/v1/incidents/{id}/suspects."""

from datetime import timedelta

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.changes.choices import HostExecutionState
from apps.incidents import services
from apps.incidents.choices import Severity, Verdict
from tests.incidents.builders import AT, change, host, many_changes, service

A = HostExecutionState.APPLIED
pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    web = service("web")
    return {"web": web, "web01": host("web01", services=[web]), "web02": host("web02", services=[web])}


def url(hostname="web01", **params):
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"/api/v1/hosts/{hostname}/suspects" + (f"?{query}" if query else "")


def test_needs_a_session(client, world):
    assert client.get(url()).status_code in (401, 403)  # 401 once token authentication is configured


def test_host_suspects_ranked_with_reasons_and_the_after_list(login, outsider, world):
    change(
        title="missing here",
        at=AT,
        ended_before=timedelta(hours=2),
        hosts={world["web01"]: "pending", world["web02"]: A},
    )
    change(title="applied here", at=AT, ended_before=timedelta(hours=30), hosts={world["web01"]: A})
    change(title="after", at=AT, ended_before=-timedelta(hours=2), hosts={world["web01"]: A})
    response = login(outsider).get(url(at="2026-03-10T07:00:00Z", hours=48))
    assert response.status_code == 200
    body = response.json()
    assert body["host"] == {"hostname": "web01", "environment": "prod", "services": ["web"]}
    assert body["at"] == "2026-03-10T07:00:00Z" and body["hours"] == 48
    assert body["window_start"] == "2026-03-08T07:00:00Z"
    assert [s["title"] for s in body["suspects"]] == ["missing here", "applied here"]
    first = body["suspects"][0]
    assert first["scope"] == "direct" and first["host_state"] == "pending" and first["on_host"] == "missing"
    assert first["host_states"] == {"pending": 1, "applied": 1}
    assert first["score"] == sum(reason["points"] for reason in first["reasons"])
    assert first["summary"].startswith("missing on this host while 1 of 1 other host has it applied")
    assert {"id", "reference", "kind", "environment", "start", "end", "planned_start", "actual_end", "url"} <= set(
        first
    )
    assert [s["title"] for s in body["after"]] == ["after"]
    assert body["total_suspects"] == 2 and body["total_after"] == 1


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-13-40T07:00"}, "at"),
        ({"hours": "0"}, "hours"),
        ({"hours": "-3"}, "hours"),
        ({"hours": str(24 * 14 + 1)}, "hours"),
        ({"hours": "many"}, "hours"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "all"}, "limit"),
    ],
)
def test_bad_parameters_are_400_naming_them(login, outsider, world, params, parameter):
    response = login(outsider).get(url(**params))
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert f"'{parameter}'" in response.json()["detail"]


def test_unknown_host_is_a_json_404(login, outsider, world):
    response = login(outsider).get(url("ghost01"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No host named 'ghost01'."}


def test_incident_suspects_merge_hosts_and_carry_the_verdicts(login, outsider, world):
    incident = services.open_incident(
        actor=outsider,
        title="Down",
        severity=Severity.SEV1,
        started_at=timezone.now(),
        hosts=[world["web01"], world["web02"]],
    )
    now = timezone.now()
    suspect = change(title="on web02", at=now, ended_before=timedelta(hours=1), hosts={world["web02"]: A})
    services.mark_suspect(incident=incident, change=suspect, verdict=Verdict.RULED_OUT, actor=outsider, note="no")
    client = login(outsider)
    body = client.get(f"/api/v1/incidents/{incident.pk}/suspects").json()
    assert body["incident"]["reference"] == incident.reference
    assert body["hosts"] == ["web01", "web02"]
    (only,) = body["suspects"]
    assert only["host"] == "web02" and only["hosts_in_scope"] == 2
    assert only["mark"]["verdict"] == "ruled_out" and only["mark"]["marked_by"] == "outsider"
    missing = client.get("/api/v1/incidents/999/suspects")
    assert missing.status_code == 404 and missing.json() == {"detail": "No incident INC-999."}


def test_schema_describes_both_endpoints(login, outsider):
    schema = yaml.safe_load(login(outsider).get("/api/schema/").content)
    host_op = schema["paths"]["/api/v1/hosts/{hostname}/suspects"]["get"]
    assert {p["name"] for p in host_op["parameters"]} == {"hostname", "at", "hours", "limit"}
    assert set(host_op["responses"]) == {"200", "400", "404"}
    ok = host_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ok.endswith("/HostSuspects")
    suspect = schema["components"]["schemas"]["Suspect"]["properties"]
    assert {"score", "reasons", "scope", "on_host", "drift"} <= set(suspect)
    incident_op = schema["paths"]["/api/v1/incidents/{id}/suspects"]["get"]
    assert {p["name"] for p in incident_op["parameters"]} == {"id", "limit"}
    assert set(incident_op["responses"]) == {"200", "400", "404"}


def test_fixed_number_of_queries(login, outsider, django_assert_max_num_queries):
    web = service("web")
    world = {"web": web, "web01": host("web01", services=[web]), "web02": host("web02", services=[web])}
    client = login(outsider)
    many_changes(world, 1)
    with CaptureQueriesContext(connection) as few:
        client.get(url(at="2026-03-10T07:00:00Z"))
    many_changes(world, 12, offset=1)
    with django_assert_max_num_queries(len(few)):
        body = client.get(url(at="2026-03-10T07:00:00Z")).json()
    assert body["total_suspects"] == 13 * 5


def test_lists_are_cut_at_the_limit_and_the_totals_count_everything(login, outsider, world):
    for index in range(30):
        change(title=f"before {index}", at=AT, ended_before=timedelta(hours=index + 1), hosts={world["web01"]: A})
        change(title=f"after {index}", at=AT, ended_before=-timedelta(hours=index + 2), hosts={world["web01"]: A})
    client = login(outsider)
    default = client.get(url(at="2026-03-10T07:00:00Z")).json()
    assert len(default["suspects"]) == 25 and len(default["after"]) == 25
    assert default["total_suspects"] == 30 and default["total_after"] == 30
    longer = client.get(url(at="2026-03-10T07:00:00Z", limit=100)).json()
    assert len(longer["suspects"]) == 30 and len(longer["after"]) == 30
    assert longer["suspects"][:25] == default["suspects"] and longer["after"][:25] == default["after"]
    assert [s["title"] for s in longer["suspects"][:3]] == ["before 0", "before 1", "before 2"]
    short = client.get(url(at="2026-03-10T07:00:00Z", limit=3)).json()
    assert [s["title"] for s in short["after"]] == ["after 0", "after 1", "after 2"]


def test_incident_suspects_take_a_limit(login, outsider, world):
    started = timezone.now()
    incident = services.open_incident(
        actor=outsider, title="Down", severity=Severity.SEV2, started_at=started, hosts=[world["web01"]]
    )
    for index in range(3):
        change(title=f"c{index}", at=started, ended_before=timedelta(hours=index + 1), hosts={world["web01"]: A})
    client = login(outsider)
    body = client.get(f"/api/v1/incidents/{incident.pk}/suspects?limit=2").json()
    assert [s["title"] for s in body["suspects"]] == ["c0", "c1"] and body["total_suspects"] == 3
    refused = client.get(f"/api/v1/incidents/{incident.pk}/suspects?limit=0")
    assert refused.status_code == 400 and refused.json()["parameter"] == "limit"


def test_host_services_listed_sorted(login, outsider):
    alpha, beta = service("alpha"), service("beta")
    host("multi01", services=[beta, alpha])
    host("bare01")
    client = login(outsider)
    assert client.get(url("multi01")).json()["host"]["services"] == ["alpha", "beta"]
    assert client.get(url("bare01")).json()["host"]["services"] == []
