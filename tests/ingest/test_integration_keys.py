"""Integration keys: leads and staff create them (shown once) and revoke them, on /integrations/ and in the API."""

import pytest

from apps.audit.models import AuditEntry
from apps.ingest import keys
from apps.ingest.models import IntegrationKey
from tests.factories import MembershipFactory, TeamFactory, UserFactory, environment

pytestmark = pytest.mark.django_db
PAGE = "/integrations/"


@pytest.fixture
def other_team_key(db):
    ops = TeamFactory(name="Operations", slug="ops")
    ops_lead = UserFactory(username="ops-lead")
    MembershipFactory(team=ops, user=ops_lead, is_lead=True)
    return keys.create_integration_key(actor=ops_lead, name="Ops Ansible", environment=environment("prod"), team=ops)


def _form(team, **fields):
    return {
        "name": "GitHub Actions",
        "team": team.pk,
        "environment": environment("prod").pk,
        "kind": "release",
    } | fields


class TestPage:
    def test_a_lead_creates_a_key_shown_once_and_stored_hashed(self, login, lead, team):
        response = login(lead).post(PAGE, _form(team, host_field="custom_details.targets"))
        assert response.status_code == 200
        key = IntegrationKey.objects.get()
        plaintext = response.context["new_key"].plaintext
        assert len(plaintext) == 32 and plaintext in response.content.decode()
        assert key.key_hash == keys.hash_key(plaintext) and plaintext not in str(IntegrationKey.objects.values())
        assert (key.team, key.created_by, key.host_field) == (team, lead, "custom_details.targets")
        again = login(lead).get(PAGE).content.decode()
        assert "GitHub Actions" in again and plaintext not in again and key.display_prefix in again

    def test_a_lead_sees_and_names_only_the_teams_they_lead(self, login, lead, team, other_team_key):
        client = login(lead)
        page = client.get(PAGE).content.decode()
        assert "Ops Ansible" not in page
        response = client.post(PAGE, _form(other_team_key.key.team))
        assert response.status_code == 400 and "team" in response.context["form"].errors
        assert IntegrationKey.objects.count() == 1

    def test_bad_host_field_is_a_form_error(self, login, lead, team):
        response = login(lead).post(PAGE, _form(team, host_field="headers.x-host"))
        assert response.status_code == 400
        assert "custom_details.<key>" in response.context["form"].errors["host_field"][0]

    def test_the_form_proposes_production(self, login, lead):
        assert login(lead).get(PAGE).context["form"]["environment"].initial == environment("prod")

    def test_members_who_lead_nothing_are_refused(self, login, requester, team):
        assert login(requester).get(PAGE).status_code == 403
        assert login(requester).post(PAGE, _form(team)).status_code == 403
        assert not IntegrationKey.objects.exists()

    def test_staff_create_keys_without_a_team(self, login):
        staff = UserFactory(username="root-ish", is_staff=True)
        response = login(staff).post(
            PAGE, {"name": "Inventory sync", "environment": environment("qa").pk, "kind": "config"}
        )
        assert response.status_code == 200, response.context["form"].errors
        assert IntegrationKey.objects.get().team is None

    def test_revoke_by_the_teams_lead_not_by_another(self, login, lead, other_team_key):
        url = f"{PAGE}{other_team_key.key.pk}/revoke/"
        assert login(lead).post(url).status_code == 403
        assert IntegrationKey.objects.get().revoked_at is None
        ops_lead = other_team_key.key.created_by
        response = login(ops_lead).post(url, follow=True)
        key = IntegrationKey.objects.get()
        assert key.revoked_at is not None and key.revoked_by == ops_lead
        assert "revoked" in response.content.decode()
        assert keys.active_key(other_team_key.plaintext) is None

    def test_the_profile_links_the_page_for_leads_only(self, login, lead, requester):
        assert PAGE in login(lead).get("/profile/").content.decode()
        assert PAGE not in login(requester).get("/profile/").content.decode()


class TestApi:
    def test_create_answers_201_with_location_and_the_key_once(self, as_user, lead, team):
        client = as_user(lead)
        body = {"name": "Buildkite", "environment": "prod", "team": team.slug, "kind": "release"}
        response = client.post("/api/v1/integration-keys", body, format="json")
        assert response.status_code == 201, response.json()
        created = response.json()
        assert response["Location"].endswith(f"/api/v1/integration-keys/{created['id']}")
        assert keys.active_key(created["key"]).pk == created["id"]
        shown = client.get(response["Location"]).json()
        assert "key" not in shown and shown["prefix"] == created["key"][:6] + "…" and shown["created_by"] == "lead"

    def test_a_lead_may_not_create_for_another_team(self, as_user, lead, other_team_key):
        body = {"name": "x", "environment": "prod", "team": "ops"}
        response = as_user(lead).post("/api/v1/integration-keys", body, format="json")
        assert response.status_code == 403 and "lead of the key's team" in response.json()["detail"]

    def test_list_shows_the_keys_of_the_teams_one_leads_and_revoke(self, as_user, lead, team, other_team_key):
        mine = keys.create_integration_key(actor=lead, name="Mine", environment=environment("prod"), team=team)
        client = as_user(lead)
        listed = client.get("/api/v1/integration-keys").json()["results"]
        assert [key["name"] for key in listed] == ["Mine"]
        assert client.get(f"/api/v1/integration-keys/{other_team_key.key.pk}").status_code == 404
        revoked = client.post(f"/api/v1/integration-keys/{mine.key.pk}/revoke").json()
        assert revoked["revoked_at"] and revoked["revoked_by"] == "lead"
        staff = as_user(UserFactory(username="staffer", is_staff=True))
        assert {key["name"] for key in staff.get("/api/v1/integration-keys").json()["results"]} == {
            "Mine",
            "Ops Ansible",
        }


class TestAudit:
    def test_creating_and_revoking_a_key_is_in_the_audit_log_never_its_hash(self, login, as_user, lead, team):
        response = login(lead).post(PAGE, _form(team))
        key = IntegrationKey.objects.get()
        login(lead).post(f"{PAGE}{key.pk}/revoke/")
        created, revoked = AuditEntry.objects.for_object(key).order_by("created", "id")
        assert (created.actor, created.via, created.action) == (lead, "ui", "created")
        assert created.changes["name"] == {"before": None, "after": "GitHub Actions"}
        assert (revoked.action, set(revoked.changes)) == ("updated", {"revoked_at", "revoked_by"})
        plaintext = response.context["new_key"].plaintext
        assert all(key.key_hash not in str(e.changes) and plaintext not in str(e.changes) for e in (created, revoked))
        api_key = as_user(lead).post(
            "/api/v1/integration-keys", {"name": "Buildkite", "environment": "prod", "team": team.slug}, format="json"
        )
        (entry,) = AuditEntry.objects.for_object(IntegrationKey.objects.get(pk=api_key.json()["id"]))
        assert entry.via == "api" and entry.actor == lead
