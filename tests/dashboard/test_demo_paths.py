"""Every demo login lands on something to do: the dashboard names it, and the link leads to it."""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import inbox_for
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.dashboard.demo import loader
from apps.dashboard.demo.next_steps import DUE_NOW_TITLE, OPEN_INCIDENT_TITLE, WAITING_FOR_DANA
from apps.dashboard.demo.people import USERS
from apps.incidents.choices import IncidentStatus
from apps.incidents.models import Incident

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seeded once for the module, rolled back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        loader.load_demo()
        yield {user.username: user for user in USERS}
        transaction.set_rollback(True)


def dashboard_as(client, demo, username: str) -> str:
    assert client.login(username=username, password=demo[username].password)
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestDemoPaths:
    def test_dana_has_changes_to_approve_that_she_may_decide(self, client, demo):
        dana = get_user_model().objects.get(username="dana")
        inbox = inbox_for(dana)
        titles = {change.title for change in inbox}
        assert {spec.title for spec in WAITING_FOR_DANA} <= titles
        assert all(change.requester_id != dana.pk for change in inbox)
        page = dashboard_as(client, demo, "dana")
        assert f"{len(inbox)} changes wait for your approval." in page
        assert reverse("approvals:inbox") in page
        inbox_page = client.get(reverse("approvals:inbox")).content.decode()
        for spec in WAITING_FOR_DANA:
            assert spec.title in inbox_page

    def test_ops_has_an_approved_change_due_now_and_may_start_it(self, client, demo):
        change = Change.objects.get(title=DUE_NOW_TITLE)
        now = timezone.now()
        assert change.status == ChangeStatus.APPROVED
        assert change.requester.username == "ops"
        assert change.planned_start <= now <= change.planned_end
        page = dashboard_as(client, demo, "ops")
        assert f"{change.reference} is approved and due now." in page
        assert change.get_absolute_url() in page
        detail = client.get(change.get_absolute_url()).content.decode()
        # The change page offers ops the transition to in progress (the state machine's "Start" action).
        assert f'value="{ChangeStatus.IN_PROGRESS}"' in detail

    def test_an_open_incident_with_suspects_is_on_every_dashboard(self, client, demo):
        incident = Incident.objects.get(title=OPEN_INCIDENT_TITLE)
        assert incident.status == IncidentStatus.OPEN
        for username in demo:
            page = dashboard_as(client, demo, username)
            assert f"{incident.reference} is open" in page, username
            assert incident.get_absolute_url() in page, username
            client.logout()
        client.login(username="olga", password=demo["olga"].password)
        bridge = client.get(incident.get_absolute_url())
        assert bridge.status_code == 200
        assert bridge.context["report"].total_suspects >= 1

    def test_every_login_has_a_next_action_besides_the_incident(self, client, demo):
        for username in demo:
            page = dashboard_as(client, demo, username)
            assert page.count('<li class="next-') >= 2, username
            client.logout()

    def test_a_login_without_a_team_is_not_offered_a_change_request_it_would_be_refused(self, client, demo):
        page = dashboard_as(client, demo, "viewer")
        assert reverse("changes:change_create") not in page
        assert "open the calendar" in page
        client.logout()
        assert reverse("changes:change_create") in dashboard_as(client, demo, "admin")
