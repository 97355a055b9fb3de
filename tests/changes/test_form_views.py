from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import UserProfile
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from tests.factories import FreezeWindowFactory, HostFactory, TeamFactory, environment

CREATE = reverse("changes:change_create")


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def form_data(team):
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": "patch",
        "change_type": "normal",
        "title": "Patch libssl on billing web",
        "environment": environment("qa").pk,
        "team": team.pk,
        "planned_start": _local(start),
        "planned_end": _local(start + timedelta(hours=2)),
        "risk": "low",
        "artifact": "libssl3 3.0.13-1",
        "summary": "",
        "implementation_plan": "apt-get install libssl3",
        "test_plan": "",
        "backout_plan": "",
        "intent": "draft",
    }


@pytest.mark.django_db
def test_form_has_sensible_defaults(login, requester, team):
    response = login(requester).get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["team"] == team
    assert form.initial["environment"] == environment("prod")
    assert form.initial["planned_start"] > timezone.now()


@pytest.mark.django_db
def test_user_without_team_cannot_request(login, outsider):
    assert login(outsider).get(CREATE).status_code == 403


@pytest.mark.django_db
def test_save_draft_with_hosts(login, requester, form_data):
    web1, web2 = HostFactory(hostname="web01"), HostFactory(hostname="web02")
    response = login(requester).post(CREATE, form_data | {"hosts": ["web01"], "hosts_paste": "WEB02\n"})
    change = Change.objects.get()
    assert response.status_code == 302 and response["Location"] == change.get_absolute_url()
    assert change.status == ChangeStatus.DRAFT
    assert change.requester == requester
    assert set(change.hosts.all()) == {web1, web2}


@pytest.mark.django_db
def test_window_is_entered_in_the_users_time_zone(login, requester, form_data):
    UserProfile.objects.create(user=requester, time_zone="Europe/Paris")
    data = form_data | {"planned_start": "2026-12-10T10:00", "planned_end": "2026-12-10T12:00"}
    assert login(requester).post(CREATE, data).status_code == 302
    assert Change.objects.get().planned_start == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"environment": "prod"}, "required for changes to Production (production)"),
        ({"risk": "high"}, "required for high-risk changes"),
        ({"risk": "critical"}, "required for critical-risk changes"),
    ],
)
def test_backout_plan_required_on_submit_says_why(login, requester, form_data, overrides, reason):
    if overrides.get("environment") == "prod":
        overrides = overrides | {"environment": environment("prod").pk}
    response = login(requester).post(CREATE, form_data | overrides | {"intent": "submit"})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert response.context["form"].errors["backout_plan"]
    assert 'value="Patch libssl on billing web"' in response.content.decode()
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_low_risk_qa_change_submits_without_backout(login, requester, form_data):
    login(requester).post(CREATE, form_data | {"intent": "submit"})
    assert Change.objects.get().status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_end_before_start_names_the_field(login, requester, form_data):
    data = form_data | {"planned_end": form_data["planned_start"]}
    response = login(requester).post(CREATE, data)
    assert response.status_code == 400
    assert "planned end must be after the planned start" in response.context["form"].errors["planned_end"][0]


@pytest.mark.django_db
def test_pasted_unknown_hostnames_are_listed_and_nothing_is_saved(login, requester, form_data):
    HostFactory(hostname="web01")
    response = login(requester).post(CREATE, form_data | {"hosts_paste": "web01, nosuch1;nosuch2"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unknown hostnames: nosuch1, nosuch2" in body
    assert "web01, nosuch1;nosuch2" in body  # what the user typed is kept
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_unknown_host_from_the_picker_is_refused(login, requester, form_data):
    response = login(requester).post(CREATE, form_data | {"hosts": ["ghost01"]})
    assert response.status_code == 400
    assert "not in the inventory: ghost01" in response.context["form"].errors["hosts"][0]


@pytest.mark.django_db
def test_submitting_into_a_freeze_needs_a_justification(login, requester, form_data):
    start = timezone.now() + timedelta(days=2)
    freeze = FreezeWindowFactory(name="Quarter close", start=start, end=start + timedelta(days=3))
    freeze.environments.add(environment("qa"))
    client = login(requester)
    response = client.post(CREATE, form_data | {"intent": "submit"})
    assert response.status_code == 400
    assert "hits a freeze: Quarter close" in response.context["form"].errors["freeze_justification"][0]
    response = client.post(CREATE, form_data | {"intent": "submit", "freeze_justification": "Security fix, CVE"})
    change = Change.objects.get()
    assert change.status == ChangeStatus.SUBMITTED
    assert change.needs_freeze_exception and change.freeze_justification == "Security fix, CVE"


@pytest.mark.django_db
def test_team_choices_are_the_users_teams(login, requester, team):
    TeamFactory(name="Not mine")
    form = login(requester).get(CREATE).context["form"]
    assert list(form.fields["team"].queryset) == [team]


@pytest.mark.django_db
def test_pasted_retired_hosts_are_refused(login, requester, form_data):
    HostFactory(hostname="web01"), HostFactory(hostname="web07", is_active=False)
    client = login(requester)
    response = client.post(CREATE, form_data | {"hosts_paste": "web01 web07"})
    assert response.status_code == 400
    assert "Retired hosts: web07" in response.content.decode()
    assert not Change.objects.exists()
