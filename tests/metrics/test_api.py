"""The metrics API: the same figures as the page, token or session auth, 400 by field on bad parameters."""

import pytest

from apps.accounts.choices import TokenScope
from apps.incidents.models import Incident
from tests.metrics.conftest import PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(as_user, requester):
    return as_user(requester, scope=TokenScope.READ)


def test_needs_authentication(client, history):
    response = client.get("/api/v1/metrics", PERIOD)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_every_metric(api, history):
    response = api.get("/api/v1/metrics", {**PERIOD, "tz": "Europe/Berlin"})
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "start": "2026-03-02", "end": "2026-03-15", "time_zone": "Europe/Berlin", "weeks": 2,
        "environments": ["prod"], "teams": [], "services": [], "kinds": [], "frequency": "all",
    }  # fmt: skip
    summary = body["summary"]
    assert summary["change-fail-rate"] == {
        "part": 4, "whole": 8, "percent": 50.0, "text": "4 of 8, 50%", "failing": 4, "deployments": 8,
    }  # fmt: skip
    assert summary["deployment-frequency"] == {"deployments": 8, "releases": 3, "per_week": 4.0}
    assert summary["change-lead-time"]["lead"] == {"count": 8, "median_hours": 38.0, "p90_hours": 92.9}
    assert summary["recovery-time"] == {
        "count": 3, "median_hours": 2.0, "p90_hours": 2.8, "failing": 4, "unrecovered": 1,
    }  # fmt: skip
    assert summary["plan-vs-actual"] == {
        "unplanned": 1, "unapproved": 2, "outside_window": 1, "extra_hosts": 1, "hosts_missing": 1,
    }  # fmt: skip
    assert [row["text"] for row in summary["team-success"]] == ["3 of 4, 75%", "0 of 3, 0%", "1 of 1, 100%"]
    rows = body["metrics"]["change-fail-rate"]["rows"]
    assert [(row["week"], row["failing"], row["deployments"]) for row in rows] == [
        ("2026-03-02", 3, 4),
        ("2026-03-09", 1, 4),
    ]


def test_the_api_defaults_to_utc_and_takes_tz(api, history):
    """A token has no browser: without ?tz= the weeks are UTC's (c8, 23:30 UTC on Sunday 15th, is then in)."""
    utc = api.get("/api/v1/metrics/deployment-frequency", PERIOD).json()
    assert [row["deployments"] for row in utc["rows"]] == [4, 5]
    tokyo = api.get("/api/v1/metrics/deployment-frequency", {**PERIOD, "tz": "Asia/Tokyo"}).json()
    assert [row["deployments"] for row in tokyo["rows"]] == [3, 5]


def test_one_metric_and_filters(api, history):
    body = api.get("/api/v1/metrics/change-fail-rate", {**PERIOD, "tz": "Europe/Berlin", "team": "ops"}).json()
    assert body["summary"]["text"] == "3 of 3, 100%"
    assert body["columns"] == ["week", "partial", "failing", "deployments", "rate_percent"]


def test_an_empty_period_is_null_not_zero(api, history):
    body = api.get("/api/v1/metrics", {"start": "2025-01-06", "end": "2025-01-12"}).json()
    assert body["summary"]["change-fail-rate"]["percent"] is None
    assert body["summary"]["change-fail-rate"]["text"] == "no data"
    assert body["summary"]["change-lead-time"]["lead"]["median_hours"] is None
    assert body["metrics"]["rework-rate"]["rows"][0]["rate_percent"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "03/02/2026"}, "start"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "start"),
        ({"environment": "mars"}, "environment"),
        ({"service": "nope"}, "service"),
        ({"tz": "Nowhere/Land"}, "tz"),
        ({"frequency": "daily"}, "frequency"),
    ],
)
def test_bad_parameters_answer_400_by_field(api, history, params, field):
    response = api.get("/api/v1/metrics", params)
    assert response.status_code == 400
    assert field in response.json()


def test_unknown_metric_or_list_is_a_json_404(api, history):
    assert api.get("/api/v1/metrics/happiness").status_code == 404
    response = api.get("/api/v1/metrics/changes/happiness")
    assert response.status_code == 404 and "detail" in response.json()


def test_the_changes_behind_a_figure(api, history):
    body = api.get("/api/v1/metrics/changes/failing", {**PERIOD, "tz": "Europe/Berlin", "limit": 2}).json()
    assert body["count"] == 4
    assert [row["title"] for row in body["results"]] == ["c12", "c4"]
    assert body["results"][0]["reference"] == f"CHG-{history.changes['c12'].pk}"
    assert body["next"]


def test_session_auth_works_too(login, requester, history):
    assert login(requester).get("/api/v1/metrics", PERIOD).status_code == 200


def test_ranking_accuracy_over_the_period(api, history):
    """i2 (cause c3), i3 and i4 (cause c4) are resolved with a standing cause and began in the period; i1 has none."""
    accuracy = api.get("/api/v1/metrics", {**PERIOD, "tz": "Europe/Berlin"}).json()["ranking_accuracy"]
    assert accuracy["incidents"] == 3
    incidents = [Incident.objects.get(title=title).reference for title in ("i4", "i3", "i2")]
    assert [row["incident"] for row in accuracy["ranked"]] == incidents
    assert [row["cause"] for row in accuracy["ranked"]] == [history.changes[n].reference for n in ("c4", "c4", "c3")]
    assert accuracy["top3"]["total"] == 3
    billing = api.get("/api/v1/metrics", {**PERIOD, "team": "billing-dev"}).json()["ranking_accuracy"]
    assert billing["incidents"] == 0 and billing["top1"]["text"] == "no data"
    # Several values of a filter and kinds narrow it too: c3 is ops' patch (i2), c4 ops' release (i3, i4).
    patches = api.get("/api/v1/metrics", {**PERIOD, "team": ["ops", "billing-dev"], "kind": "patch"}).json()
    assert [row["cause"] for row in patches["ranking_accuracy"]["ranked"]] == [history.changes["c3"].reference]
    releases = api.get("/api/v1/metrics", {**PERIOD, "team": ["ops", "billing-dev"], "kind": "release"}).json()
    assert [row["cause"] for row in releases["ranking_accuracy"]["ranked"]] == [history.changes["c4"].reference] * 2
