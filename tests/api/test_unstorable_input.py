"""No byte reaches the database that it cannot store: U+0000 or a lone surrogate anywhere in a JSON body, a query
parameter or a header is a 400 naming the field, parameter or header (found by a schemathesis run as a PostgreSQL
DataError, a 500). Run on SQLite and on PostgreSQL: SQLite would store what PostgreSQL refuses."""

import json

import pytest

from apps.changes.models import Change
from apps.inventory.models import Host
from apps.platform.api.fields import MAX_JSON_DEPTH, find_unstorable

pytestmark = pytest.mark.django_db

NUL, SURROGATE = "\x00", "\ud800"
BAD_TEXT = pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])


def _post(client, url, body, method="post"):
    # json.dumps escapes both as \u0000 and \ud800, which is how they arrive in a real request.
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def _refused(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert field in body, body
    return body[field]


@BAD_TEXT
def test_a_new_host(as_user, staff, bad):
    client = as_user(staff)
    messages = _refused(_post(client, "/api/v1/hosts", {"hostname": f"db{bad}07", "environment": "qa"}), "hostname")
    assert "not allowed" in messages[0]
    _refused(_post(client, "/api/v1/hosts", {"hostname": "db07", "environment": "qa", "fqdn": bad}), "fqdn")
    _refused(_post(client, "/api/v1/hosts", {"hostname": "db07", "environment": bad}), "environment")
    _refused(_post(client, "/api/v1/hosts", {"hostname": "db07", "environment": "qa", "tags": ["a", bad]}), "tags")
    assert not Host.objects.filter(hostname__startswith="db").exists()


@BAD_TEXT
def test_a_host_edit(as_user, staff, hosts, bad):
    response = _post(as_user(staff), "/api/v1/hosts/web01.prod", {"fqdn": f"web01{bad}"}, method="patch")
    _refused(response, "fqdn")
    hosts[0].refresh_from_db()
    assert hosts[0].fqdn == ""


def _change(**fields) -> dict:
    return {
        "title": "Patch openssl",
        "environment": "qa",
        "planned_start": "2030-01-10T10:00:00Z",
        "planned_end": "2030-01-10T11:00:00Z",
        "hosts": ["web01.prod"],
    } | fields


@BAD_TEXT
def test_a_new_change(as_user, requester, hosts, bad):
    client = as_user(requester)
    _refused(_post(client, "/api/v1/changes", _change(title=f"Patch{bad}")), "title")
    _refused(_post(client, "/api/v1/changes", _change(planned_start=f"2030{bad}")), "planned_start")
    _refused(_post(client, "/api/v1/changes", _change(hosts=["web01.prod", bad])), "hosts")
    link = {"kind": "ticket", "url": "https://tracker.example.com/OPS-1", "label": f"OPS{bad}1"}
    messages = _refused(_post(client, "/api/v1/changes", _change(links=[link])), "links")
    assert messages[0].startswith("links[0].label: ")
    assert not Change.objects.exists()


@BAD_TEXT
def test_a_change_edit_and_transition(as_user, requester, planned, bad):
    change = planned()
    client = as_user(requester)
    url = f"/api/v1/changes/{change.pk}"
    _refused(_post(client, url, {"title": f"x{bad}", "version": change.version}, method="patch"), "title")
    _refused(_post(client, url, {"backout_plan": bad, "version": change.version}, method="patch"), "backout_plan")
    _refused(_post(client, f"{url}/transition", {"target": "submitted", "note": bad}), "note")
    change.refresh_from_db()
    assert change.title == "Deploy billing 2.4.0" and change.version == 1 and change.status == "draft"


@BAD_TEXT
def test_a_field_name_that_cannot_be_stored_is_named_escaped(as_user, requester, hosts, bad):
    """The answer must not echo the character: it could not be encoded either (a lone surrogate is not UTF-8)."""
    response = _post(as_user(requester), "/api/v1/changes", _change() | {f"ti{bad}tle": "x"})
    assert response.status_code == 400
    assert json.dumps(f"ti{bad}tle") in response.json()["detail"]
    assert not Change.objects.exists()


def test_a_body_that_is_just_bad_text(as_user, requester, planned):
    response = _post(as_user(requester), f"/api/v1/changes/{planned().pk}/transition", NUL)
    assert response.status_code == 400 and "U+0000" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/changes?q=a%00b", "q"),
        ("/api/v1/changes?environment=%00", "environment"),
        ("/api/v1/changes?status=draft&status=%00", "status"),
        ("/api/v1/hosts?q=%00", "q"),
        ("/api/v1/changes/feed?cursor=%00", "cursor"),
        ("/api/v1/freeze-state?environment=prod%00", "environment"),
    ],
)
def test_a_query_parameter(as_user, requester, url, parameter):
    messages = _refused(as_user(requester).get(url), parameter)
    assert f"query parameter {parameter!r}" in messages[0] and "NUL character" in messages[0]


def test_a_query_parameter_name(as_user, requester):
    response = as_user(requester).get("/api/v1/changes?a%00b=1")
    assert response.status_code == 400 and "parameter name" in response.json()["detail"]


def test_a_lone_surrogate_cannot_arrive_in_the_query(as_user, requester):
    """Django decodes the query as UTF-8, which has no lone surrogates: its bytes become U+FFFD, stored fine."""
    response = as_user(requester).get("/api/v1/changes?q=%ED%A0%80")
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Request-Id"])
def test_a_header(as_user, requester, header):
    meta = {f"HTTP_{header.upper().replace('-', '_')}": "key\x00"}
    body = {"payload": {"summary": "Restarted nginx", "source": "ansible"}, "hosts": ["web01.prod"]}
    response = as_user(requester).post("/api/v1/change-events", body, format="json", **meta)
    messages = _refused(response, header)
    assert f"The {header} header" in messages[0]
    assert not Change.objects.exists()


def test_pages_name_the_parameter_too(login, requester):
    response = login(requester).get("/changes/?q=a%00b")
    assert response.status_code == 400
    assert "The query parameter 'q' contains a NUL character" in response.content.decode()


class TestFindUnstorable:
    def test_names_the_path_in_document_order(self):
        found = find_unstorable({"a": [1, {"b": "ok"}, {"c": f"x{NUL}"}], "d": SURROGATE})
        assert found.path == ("a", 2, "c") and found.location() == "a[2].c" and "U+0000" in found.problem

    def test_too_deep(self):
        value = "leaf"
        for _ in range(MAX_JSON_DEPTH + 1):
            value = {"k": value}
        found = find_unstorable({"details": value})
        assert found.path[0] == "details" and "Nested deeper" in found.problem

    def test_a_wide_body_is_fine(self):
        assert find_unstorable({"rows": [{"n": str(n)} for n in range(100_000)]}) is None


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/changes?updated_since=2026-01-10T10:00:00%2B18:37",
        "/api/v1/changes?window_start=2026-01-10T10:00:00-23:59&window_end=2026-01-11T10:00:00%2B16:00",
        "/api/v1/changes/feed?updated_since=2026-01-10T10:00:00%2B18:37",
        "/api/v1/hosts?updated_since=2026-01-10T10:00:00%2B18:37",
        "/api/v1/approvals?decided_since=2026-01-10T10:00:00%2B18:37",
        "/api/v1/incidents?started_since=2026-01-10T10:00:00%2B18:37",
    ],
)
def test_a_utc_offset_postgresql_cannot_take_is_read_as_utc(as_user, requester, url):
    """Found by the stateful schemathesis run: ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59 (500)."""
    assert as_user(requester).get(url).status_code == 200


def test_a_time_before_the_first_instant_is_a_400(as_user, requester, login):
    response = as_user(requester).get("/api/v1/changes?updated_since=0001-01-01T00:00:00%2B05:00")
    assert response.status_code == 400 and "updated_since" in response.json()
    assert login(requester).get("/changes/?window_start=2026-01-10T10:00:00%2B18:37").status_code == 200
