"""POST /api/v1/change-events/batch: per-event results with the single endpoint's validation and dedup, one
transaction per event (a failing event undoes nothing else), limits and auth."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.choices import TokenScope
from apps.changes.models import Change
from apps.ingest.api.batch import MAX_BATCH
from apps.ingest.models import IngestRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/change-events/batch"


def _event(key: str, **fields) -> dict:
    return {
        "payload": {"summary": f"Deployed {key}", "source": "jenkins"},
        "hosts": ["web01.prod"],
        "environment": "prod",
        "kind": "release",
        "dedup_key": key,
    } | fields


def test_records_each_event_and_answers_like_the_single_post(as_user, requester, hosts):
    client = as_user(requester)
    events = [_event("a"), _event("b", hosts=["web02.prod", "new01.prod"])]
    response = client.post(URL, {"events": events}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["failed"]) == (2, 0, 0)
    assert [item["index"] for item in body["results"]] == [0, 1]
    first, second = (item["result"] for item in body["results"])
    assert {item["status"] for item in body["results"]} == {202}
    assert Change.objects.get(pk=first["change"]).title == "Deployed a"
    assert second["unverified_hosts"] == ["new01.prod"]
    assert any("new01.prod" in warning for warning in second["warnings"])
    single = client.post("/api/v1/change-events", _event("c"), format="json").json()
    assert set(single) == set(first)


def test_dedup_across_batches_inside_a_batch_and_with_single_posts(as_user, requester, hosts):
    client = as_user(requester)
    single = client.post("/api/v1/change-events", _event("k1"), format="json").json()
    body = client.post(URL, {"events": [_event("k1"), _event("k2"), _event("k2")]}, format="json").json()
    results = [item["result"] for item in body["results"]]
    assert results[0]["duplicate"] is True and results[0]["change"] == single["change"]
    assert results[1]["duplicate"] is False
    assert results[2]["duplicate"] is True and results[2]["change"] == results[1]["change"]
    assert (body["accepted"], body["duplicates"]) == (3, 2)
    again = client.post(URL, {"events": [_event("k2")]}, format="json").json()
    assert again["results"][0]["result"]["change"] == results[1]["change"]
    assert IngestRecord.objects.filter(dedup_key__in=["k1", "k2"]).count() == 2


def test_each_event_is_validated_on_its_own_and_failures_undo_nothing_else(as_user, requester, hosts):
    events = [
        _event("ok1"),
        _event("bad-env", environment="moon"),
        "not an object",
        _event("bad-time", started_at="2026-01-02T10:00:00Z", ended_at="2026-01-01T10:00:00Z"),
        {"payload": {}},
        _event("bad-host", hosts=["not a hostname!"]),
        _event("ok2"),
    ]
    response = as_user(requester).post(URL, {"events": events}, format="json")
    assert response.status_code == 200
    body = response.json()
    statuses = [item["status"] for item in body["results"]]
    assert statuses == [202, 400, 400, 400, 400, 400, 202]
    errors = [item.get("errors") for item in body["results"]]
    assert "environment" in errors[1] and "moon" in str(errors[1]["environment"])
    assert "non_field_errors" in errors[2]
    assert "ended_at" in errors[3]
    assert "payload" in errors[4]
    assert "hosts" in errors[5]
    assert (body["accepted"], body["failed"]) == (2, 5)
    titles = set(Change.objects.values_list("title", flat=True))
    assert titles == {"Deployed ok1", "Deployed ok2"}


def test_a_domain_refusal_is_the_events_own_status(as_user, requester, planned):
    change = planned()  # a draft, not approved: reporting on it is allowed but flagged; an unknown one is 400
    events = [_event("r1", change=change.pk, hosts=["web01.prod"]), _event("r2", change=10**9)]
    body = as_user(requester).post(URL, {"events": events}, format="json").json()
    assert body["results"][0]["status"] == 202
    assert body["results"][1]["status"] == 400 and "change" in body["results"][1]["errors"]


def test_limits(as_user, requester, hosts):
    client = as_user(requester)
    too_many = client.post(URL, {"events": [_event(f"e{n}") for n in range(MAX_BATCH + 1)]}, format="json")
    assert too_many.status_code == 413 and str(MAX_BATCH) in too_many.json()["detail"]
    assert not Change.objects.exists()
    for body in ({"events": []}, {"events": {"a": 1}}, [_event("x")], {"other": 1}):
        refused = client.post(URL, body, format="json")
        assert refused.status_code == 400, body
        assert "events" in refused.json()
    assert client.post(URL, "{not json", content_type="application/json").status_code == 400
    assert client.post(URL, "events=1", content_type="application/x-www-form-urlencoded").status_code == 415


def test_auth_and_scope(as_user, requester, outsider, hosts):
    assert APIClient().post(URL, {"events": [_event("a")]}, format="json").status_code == 401
    read_only = as_user(requester, scope=TokenScope.READ)
    assert read_only.post(URL, {"events": [_event("a")]}, format="json").status_code == 403
    # Someone in no team may not record changes: refused before the body is read, like the single POST.
    assert as_user(outsider).post(URL, {"events": [_event("a")]}, format="json").status_code == 403
    assert not Change.objects.exists()
