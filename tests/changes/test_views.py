from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.changes.choices import ChangeStatus
from apps.changes.models import ChangeActivity
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, ServiceFactory, environment

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.django_db
def test_list_filters_by_environment_kind_host_service_and_text(login, outsider):
    web = HostFactory(hostname="web07")
    billing = ServiceFactory(name="billing-web")
    release = ChangeFactory(title="Billing release", kind="release", artifact="billing 2.4.0")
    release.services.add(billing)
    ChangeHostFactory(change=release, host=web)
    patch = ChangeFactory(title="Patch libssl", kind="patch", environment=environment("qa"))
    client = login(outsider)
    url = reverse("changes:change_list")

    def titles(query):
        response = client.get(url, query)
        assert response.status_code == 200
        return {change.title for change in response.context["page"].object_list}

    assert titles({}) == {"Billing release", "Patch libssl"}
    assert titles({"environment": "qa"}) == {"Patch libssl"}
    assert titles({"kind": "release"}) == {"Billing release"}
    assert titles({"host": "WEB07"}) == {"Billing release"}
    assert titles({"service": "billing-web"}) == {"Billing release"}
    assert titles({"q": "2.4.0"}) == {"Billing release"}
    assert titles({"q": f"CHG-{patch.pk}"}) == {"Patch libssl"}


@pytest.mark.django_db
def test_bad_filter_value_is_explained_not_a_500(login, outsider):
    ChangeFactory()
    response = login(outsider).get(reverse("changes:change_list"), {"kind": "volcano", "environment": "nowhere"})
    assert response.status_code == 200
    assert "were not understood" in response.content.decode()


@pytest.mark.django_db
def test_list_is_paginated_with_filters_kept(login, outsider):
    start = timezone.now()
    for offset in range(55):
        ChangeFactory(
            kind="patch", planned_start=start + timedelta(hours=offset), planned_end=start + timedelta(hours=offset + 1)
        )
    client = login(outsider)
    first = client.get(reverse("changes:change_list"), {"kind": "patch"})
    assert len(first.context["page"].object_list) == 50
    assert "kind=patch&amp;page=2" in first.content.decode()
    second = client.get(reverse("changes:change_list"), {"kind": "patch", "page": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.django_db
def test_htmx_request_gets_only_the_table(login, outsider):
    ChangeFactory(title="Only the table")
    response = login(outsider).get(reverse("changes:change_list"), **HTMX)
    body = response.content.decode()
    assert 'id="change-table"' in body
    assert "<html" not in body


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(login, outsider, django_assert_max_num_queries):
    client = login(outsider)
    for _ in range(3):
        ChangeHostFactory()
    client.get(reverse("changes:change_list"))  # warm session and user caches
    with django_assert_max_num_queries(10) as small:
        client.get(reverse("changes:change_list"))
    for _ in range(30):
        ChangeHostFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("changes:change_list"))


@pytest.mark.django_db
def test_detail_shows_hosts_progress_and_only_allowed_actions(login, team, requester, lead):
    change = ChangeFactory(team=team, requester=requester, status=ChangeStatus.SUBMITTED)
    applied = ChangeHostFactory(change=change, host=HostFactory(hostname="web01"), state="applied")
    ChangeHostFactory(change=change, host=HostFactory(hostname="web02"))
    body = login(requester).get(change.get_absolute_url()).content.decode()
    assert "Applied on 1 of 2 hosts" in body and 'pending: <span class="mono">web02</span>' in body
    assert applied.host.hostname in body
    assert 'value="cancelled"' in body and 'name="decision"' not in body


@pytest.mark.django_db
def test_transition_through_htmx_updates_the_panel(login, team, requester):
    change = ChangeFactory(team=team, requester=requester, status=ChangeStatus.SUBMITTED)
    url = reverse("changes:change_transition", args=[change.pk])
    response = login(requester).post(url, {"target": "cancelled", "note": "superseded"}, **HTMX)
    assert response.status_code == 200
    assert 'id="status-panel"' in response.content.decode()
    assert response["HX-Trigger"] == "changeUpdated"
    change.refresh_from_db()
    assert change.status == ChangeStatus.CANCELLED


@pytest.mark.django_db
def test_refused_transition_is_explained_in_the_panel(login, team, requester):
    change = ChangeFactory(team=team, requester=requester, status=ChangeStatus.SUBMITTED)
    url = reverse("changes:change_transition", args=[change.pk])
    response = login(requester).post(url, {"target": "approved"}, **HTMX)
    assert response.status_code == 200
    assert "recorded as decisions" in response.content.decode()
    response = login(requester).post(url, {"target": "completed"}, **HTMX)
    assert "cannot go from Submitted to Completed" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_transition_without_htmx_redirects_with_a_message(login, team, requester):
    change = ChangeFactory(team=team, requester=requester, status=ChangeStatus.DRAFT)
    url = reverse("changes:change_transition", args=[change.pk])
    response = login(requester).post(url, {"target": "submitted"}, follow=True)
    assert response.redirect_chain[-1][0] == change.get_absolute_url()
    assert "is now submitted" in response.content.decode()


@pytest.mark.django_db
def test_transition_needs_post(login, requester):
    change = ChangeFactory()
    assert login(requester).get(reverse("changes:change_transition", args=[change.pk])).status_code == 405


@pytest.mark.django_db
def test_comment_is_added_to_the_log(login, outsider):
    change = ChangeFactory()
    client = login(outsider)
    url = reverse("changes:change_comment", args=[change.pk])
    response = client.post(url, {"text": "<script>alert(1)</script> ops is ready"}, **HTMX)
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; ops is ready" in body
    assert ChangeActivity.objects.get(change=change).actor == outsider
    response = client.post(url, {"text": ""}, **HTMX)
    assert "Write a comment" in response.content.decode()
