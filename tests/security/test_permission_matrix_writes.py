"""UI writes (every POST-only page of the matrix): forbidden roles are refused and the database is untouched.

For each write the refused roles get their expected answer (the login page, 403, 404 for another user's token,
or the bridge's refusal message) and a snapshot of every project table is unchanged; the allowed role's same
request does change it, so the snapshot would see a write that slipped through.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone

from apps.accounts.api.throttling import ApiRateThrottle
from tests.security.matrix_expectations import LOGIN, UI_GET, assert_status
from tests.security.matrix_world import api_client, private_throttle_cache, rolled_back_world, ui_client

PROJECT_APPS = {"accounts", "approvals", "changes", "chat", "events", "incidents", "ingest", "inventory", "webhooks"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(scope="module", name="world")
def _world(django_db_setup, django_db_blocker):
    yield from rolled_back_world(django_db_blocker)


@pytest.fixture(autouse=True)
def _private_throttle_counts(monkeypatch):
    monkeypatch.setattr(ApiRateThrottle, "cache", private_throttle_cache())


def snapshot() -> dict:
    """Every row of the project's tables (and users, groups); a token's last use is bookkeeping, not a write."""
    models = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS] + [User, Group]
    rows = {m._meta.label: list(m._default_manager.order_by("pk").values()) for m in models}
    for row in rows["accounts.ApiToken"]:
        row.pop("last_used_at")
    return rows


@dataclass(frozen=True)
class Write:
    name: str
    refused: dict
    data: dict | Callable[[object], dict] = field(default_factory=dict)
    allowed: str | None = None  # a role whose same request writes (None: a form too large to fill here)
    target: str = ""  # which objects fill the URL

    def url(self, world) -> str:
        c, o = world.changes, world.objects
        kwargs = {
            "draft": {"pk": c["draft"].pk},
            "submitted": {"pk": c["submitted"].pk},
            "in_progress": {"pk": c["in_progress"].pk},
            "ops": {"pk": c["ops_in_progress"].pk},
            "token": {"pk": o["requester_read_token"].pk},
            "saved_view": {"pk": o["requester_saved_view"].pk},
            "incident": {"pk": o["incident"].pk},
            "suspect": {"pk": o["incident"].pk, "change_pk": c["in_progress"].pk},
            "ops_suspect": {"pk": o["incident"].pk, "change_pk": c["ops_in_progress"].pk},
            "backout": {"pk": o["incident"].pk, "backout_pk": o["backout"].pk},
            "resolved_incident": {"pk": o["resolved_incident"].pk},
            "finding": {"pk": o["incident"].pk, "finding_pk": o["finding"].pk},
            "integration_key": {"pk": o["integration_key"].pk},
            "chat_channel": {"pk": o["chat_channel"].pk},
            "": {},
        }[self.target]
        return reverse(self.name, kwargs=kwargs)

    def body(self, world) -> dict:
        # A body naming an object of the world (a change by its number) is built from it.
        return self.data(world) if callable(self.data) else self.data

    def id(self) -> str:
        return f"{self.name}[{self.target}]" if self.target else self.name


ANON = {"anonymous": LOGIN}
NON_EDITORS = {"anonymous": LOGIN, "viewer": 403}
OTHER_TEAM = {"requester": 403, "lead": 403}
STARTED = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

WRITES = [
    Write("changes:change_create", NON_EDITORS, {"title": "Sneaky"}),
    Write("changes:change_edit", NON_EDITORS, {"title": "Sneaky"}, target="draft"),
    Write("changes:change_transition", NON_EDITORS, {"target": "submitted"}, "requester", "draft"),
    Write("changes:change_transition", OTHER_TEAM, {"target": "failed", "note": "x"}, "admin", "ops"),
    Write(
        "changes:change_host_states",
        NON_EDITORS,
        {"state": "applied", "scope": "all_pending"},
        "requester",
        "in_progress",
    ),
    Write("changes:change_host_states", OTHER_TEAM, {"state": "applied", "scope": "all_pending"}, "admin", "ops"),
    # Comments are coordination, open to every signed-in user like incident notes.
    Write("changes:change_comment", ANON, {"text": "Heads-up"}, "viewer", "draft"),
    Write("changes:form_hosts", ANON, {"paste": "mweb01.prod"}),
    Write("changes:form_collisions", ANON, {}),
    # Own change, no team, staff without a team: none may decide; the team's lead may.
    Write(
        "approvals:decide",
        {"anonymous": LOGIN, "viewer": 403, "requester": 403, "admin": 403},
        {"decision": "approved"},
        "lead",
        "submitted",
    ),
    Write("accounts:api_tokens", ANON, {"name": "ci", "scope": "read_write", "expires_in": "30"}, "viewer"),
    # Someone else's token is not found (404): its existence is not confirmed either.
    Write(
        "accounts:api_token_revoke",
        {"anonymous": LOGIN, "viewer": 404, "lead": 404, "admin": 404},
        {},
        "requester",
        "token",
    ),
    # Leads of the key's team and staff revoke integration keys.
    Write(
        "ingest:integration_key_revoke",
        {"anonymous": LOGIN, "viewer": 403, "requester": 403},
        {},
        "lead",
        "integration_key",
    ),
    # Leads of the channel's team and staff switch it; others do not find it.
    Write(
        "chat:channel_active",
        {"anonymous": LOGIN, "viewer": 404, "requester": 404},
        {"active": "0"},
        "lead",
        "chat_channel",
    ),
    Write("chat:slack_link", ANON, {"slack_user_id": "U0VIEWER01"}, "viewer"),
    Write("accounts:saved_view_create", ANON, {"name": "Mine", "page": "changes", "query": "kind=patch"}, "viewer"),
    # Someone else's saved view is not found (404), like a token.
    Write(
        "accounts:saved_view_delete",
        {"anonymous": LOGIN, "viewer": 404, "lead": 404, "admin": 404},
        {},
        "requester",
        "saved_view",
    ),
    Write("accounts:feed_token_regenerate", ANON, {}, "requester"),
    Write("accounts:feed_token_revoke", ANON, {}, "requester"),
    Write("accounts:profile", ANON, {"time_zone": "Europe/Paris"}, "viewer"),
    Write(
        "incidents:incident_create",
        ANON,
        {"title": "x", "severity": "sev2", "started_at": STARTED, "hosts": ["mweb01.prod"], "window_hours": 72},
        "viewer",
    ),
    Write("incidents:form_hosts", ANON, {"paste": "mweb01.prod"}),
    Write("incidents:set_status", ANON, {"status": "mitigated"}, "viewer", "incident"),
    Write("incidents:add_note", ANON, {"text": "Seen at 07:58"}, "viewer", "incident"),
    Write("incidents:mark_suspect", ANON, {"verdict": "ruled_out", "note": "QA too"}, "viewer", "suspect"),
    # Backing out needs the edit right on the change or being a lead of any team.
    Write(
        "incidents:start_backout",
        {"anonymous": LOGIN, "viewer": 403, "requester": 403},
        {"note": "x"},
        "lead",
        "ops_suspect",
    ),
    Write(
        "incidents:record_rollback",
        {"anonymous": LOGIN, "viewer": 403},
        {"hosts": ["mweb01.prod"]},
        "requester",
        "backout",
    ),
    Write("incidents:complete_backout", {"anonymous": LOGIN, "viewer": 403}, {"note": "Done"}, "requester", "backout"),
    # Findings: any participant records one; withdrawing another's needs staff or a lead (the admin recorded it).
    Write(
        "incidents:record_finding",
        ANON,
        lambda world: {"role": "fixed_by", "change": world.changes["completed"].reference, "note": "Review"},
        "viewer",
        "resolved_incident",
    ),
    Write(
        "incidents:withdraw_finding",
        {"anonymous": LOGIN, "viewer": 403, "requester": 403},
        {"note": "It was not"},
        "lead",
        "finding",
    ),
]


# Not role-based: logout; PagerDuty's endpoint, authorised by the integration key in the body
# (tests/ingest/test_pagerduty.py refuses wrong, missing and revoked keys); Slack's interactivity endpoint,
# authorised by Slack's request signature (tests/chat/test_slack_approvals.py refuses forged and stale requests).
NOT_ROLE_BASED = {"accounts:logout", "pagerduty-change-enqueue", "slack:interactivity"}


def test_every_post_only_page_has_a_write_case():
    post_only = {name for name, statuses in UI_GET.items() if statuses[1] == 405 and name not in NOT_ROLE_BASED}
    assert post_only <= {write.name for write in WRITES}, sorted(post_only - {write.name for write in WRITES})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("write", "role"),
    [(write, role) for write in WRITES for role in write.refused],
    ids=[f"{write.id()}-{role}" for write in WRITES for role in write.refused],
)
def test_refused_write_changes_nothing(world, write, role):
    client = ui_client(world, role)
    before = snapshot()
    response = client.post(write.url(world), write.body(world))
    assert_status(response, write.refused[role], f"POST {write.url(world)} as {role}")
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("write", [w for w in WRITES if w.allowed], ids=[w.id() for w in WRITES if w.allowed])
def test_allowed_write_is_written(world, write):
    """The control: the same request by a role that may make it does write, so the snapshot can see writes."""
    client = ui_client(world, write.allowed)
    before = snapshot()
    response = client.post(write.url(world), write.body(world))
    assert response.status_code in (200, 302), (response.status_code, response.content[:300])
    assert snapshot() != before


@pytest.mark.django_db
def test_refused_htmx_transition_answers_in_the_fragment_and_changes_nothing(world):
    """htmx swaps only 2xx answers, so a refused htmx post gets the fragment with the reason (status 200)."""
    client = ui_client(world, "viewer")
    before = snapshot()
    url = reverse("changes:change_transition", kwargs={"pk": world.changes["draft"].pk})
    response = client.post(url, {"target": "submitted"}, **HTMX)
    assert response.status_code == 200 and "Only the requester" in response.content.decode()
    assert snapshot() == before


# --- The fixes this matrix brought: refusals come before validation, and full-page refusals are 403s ----------


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"target": "cancelled", "note": "x"}])
def test_api_transition_is_refused_before_the_body_is_read(world, body):

    url = f"/api/v1/changes/{world.changes['ops_in_progress'].pk}/transition"
    before = snapshot()
    for role in ("viewer", "requester", "lead"):  # none of them may edit another team's change
        response = api_client(world, role).post(url, body, format="json")
        assert response.status_code == 403 and "Only the requester" in response.json()["detail"], role
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["viewer", "requester", "admin"])
def test_api_decide_is_refused_before_the_body_is_read(world, role):

    url = f"/api/v1/changes/{world.changes['submitted'].pk}/decide"
    before = snapshot()
    for body in ({}, {"decision": "approved"}):
        response = api_client(world, role).post(url, body, format="json")
        assert response.status_code == 403, (role, body, response.content)
    assert snapshot() == before
    assert api_client(world, "lead").post(url, {"decision": "approved"}, format="json").status_code == 201


@pytest.mark.django_db
def test_refused_full_page_post_shows_the_reason_with_a_403(world):
    url = reverse("approvals:decide", kwargs={"pk": world.changes["submitted"].pk})
    response = ui_client(world, "requester").post(url, {"decision": "approved", "from": "inbox"})
    assert response.status_code == 403
    assert "cannot approve or reject your own change" in response.content.decode()
