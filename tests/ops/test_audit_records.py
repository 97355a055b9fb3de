"""The audit records (a change's activity log, an incident's timeline, webhook attempts) cannot be rewritten or
removed through the UI, the API or the admin."""

from datetime import UTC, datetime

import pytest
from django.urls import NoReverseMatch, reverse

from apps.changes import services
from apps.changes.models import ChangeActivity
from apps.incidents import services as incident_services
from apps.incidents.models import IncidentNote
from apps.platform.append_only import AppendOnlyError
from tests.factories import HostFactory, UserFactory, environment

pytestmark = pytest.mark.django_db
WRITE_METHODS = ("post", "put", "patch", "delete")


@pytest.fixture
def logged(requester, team):
    change = services.create_change(
        actor=requester,
        title="Patch web01",
        environment=environment("qa"),
        team=team,
        planned_start="2030-01-01T10:00Z",
        planned_end="2030-01-01T12:00Z",
    )
    services.add_comment(change=change, actor=requester, text="Original comment")
    return change


def snapshot(change) -> list[tuple]:
    return list(ChangeActivity.objects.filter(change=change).values_list("id", "action", "note", "changes", "created"))


@pytest.fixture
def root(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_model_and_queryset_refuse_rewrites(logged):
    entry = ChangeActivity.objects.filter(change=logged).last()
    entry.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        ChangeActivity.objects.filter(change=logged).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        ChangeActivity.objects.filter(change=logged).delete()


def test_no_ui_url_edits_or_deletes_activity(login, requester, logged):
    before = snapshot(logged)
    entry = before[-1][0]
    client = login(requester)
    plausible = [
        f"/changes/{logged.pk}/activity/",
        f"/changes/{logged.pk}/activity/{entry}/",
        f"/changes/{logged.pk}/activity/{entry}/edit/",
        f"/changes/{logged.pk}/activity/{entry}/delete/",
        f"/changes/{logged.pk}/comment/{entry}/",
        f"/changes/{logged.pk}/comment/{entry}/delete/",
        f"/activity/{entry}/",
        f"/activity/{entry}/delete/",
    ]
    for url in plausible:
        for method in WRITE_METHODS:
            assert getattr(client, method)(url).status_code in (404, 405), (method, url)
    # The comment endpoint only ever appends, and refuses anything but POST.
    comment = reverse("changes:change_comment", args=[logged.pk])
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(comment).status_code == 405
    client.post(comment, {"text": "Appended"})
    after = snapshot(logged)
    assert after[: len(before)] == before and len(after) == len(before) + 1


def test_api_exposes_no_write_on_activity(client, requester, logged):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path, operations in schema["paths"].items():
        if "activit" in path.lower():
            assert set(operations) & {"post", "put", "patch", "delete"} == set(), path
    before = snapshot(logged)
    client.force_login(requester)
    entry = before[-1][0]
    for url in (f"/api/v1/changes/{logged.pk}/activity", f"/api/v1/changes/{logged.pk}/activity/{entry}"):
        for method in WRITE_METHODS:
            assert getattr(client, method)(url, content_type="application/json").status_code in (404, 405)
    for method in ("put", "patch", "delete"):
        answer = getattr(client, method)(f"/api/v1/changes/{logged.pk}", {}, content_type="application/json")
        assert answer.status_code in (400, 405, 409), (method, answer.status_code)
    assert snapshot(logged) == before


def test_admin_shows_activity_read_only_and_never_deletes_it(root, logged):
    before = snapshot(logged)
    entry = before[-1][0]
    change_url = reverse("admin:changes_changeactivity_change", args=[entry])
    page = root.get(change_url)
    assert page.status_code == 200 and 'name="note"' not in page.content.decode()  # shown, not editable
    root.post(change_url, {"note": "rewritten", "action": "comment", "changes": "{}"})
    assert root.get(reverse("admin:changes_changeactivity_delete", args=[entry])).status_code == 403
    assert root.post(reverse("admin:changes_changeactivity_delete", args=[entry]), {"post": "yes"}).status_code == 403
    changelist = reverse("admin:changes_changeactivity_changelist")
    listing = root.get(changelist)
    assert listing.status_code == 200 and "delete_selected" not in listing.content.decode()
    root.post(changelist, {"action": "delete_selected", "_selected_action": [entry], "post": "yes"})
    assert root.get(reverse("admin:changes_changeactivity_add")).status_code == 403
    # The change itself carries the history: it cannot be deleted either (cancel it instead).
    assert root.get(reverse("admin:changes_change_delete", args=[logged.pk])).status_code == 403
    assert snapshot(logged) == before


def test_incident_timeline_is_read_only_in_the_admin(root, lead):
    incident = incident_services.open_incident(
        actor=lead,
        title="Checkout errors",
        started_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
        severity="sev2",
        hosts=[HostFactory()],
    )
    incident_services.add_note(incident=incident, actor=lead, text="Rolled back billing")
    notes = list(IncidentNote.objects.filter(incident=incident).values_list("id", "text"))
    page = root.get(reverse("admin:incidents_incident_change", args=[incident.pk])).content.decode()
    assert "Rolled back billing" in page and "notes-0-text" not in page and "notes-0-DELETE" not in page
    with pytest.raises(NoReverseMatch):  # notes have no admin of their own
        reverse("admin:incidents_incidentnote_changelist")
    assert list(IncidentNote.objects.filter(incident=incident).values_list("id", "text")) == notes


def test_webhook_attempt_log_has_no_admin_of_its_own():
    with pytest.raises(NoReverseMatch):
        reverse("admin:webhooks_webhookattempt_changelist")


def test_incidents_backouts_and_webhook_deliveries_cannot_be_deleted_in_the_admin(root, lead):
    from apps.events.models import OutboxEvent
    from apps.incidents.models import Incident
    from apps.webhooks import services as webhook_services
    from apps.webhooks.models import WebhookDelivery, WebhookEndpoint

    incident = incident_services.open_incident(
        actor=lead,
        title="Checkout errors",
        started_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
        severity="sev2",
        hosts=[HostFactory()],
    )
    used = WebhookEndpoint.objects.create(name="chat", url="http://127.0.0.1:9/hook")
    event = OutboxEvent.objects.create(event_type="change.approved", payload={"change": {"id": 7}})
    [delivery_id] = webhook_services.create_deliveries(event)
    unused = WebhookEndpoint.objects.create(name="spare", url="http://127.0.0.1:9/spare")

    assert root.get(reverse("admin:incidents_incident_delete", args=[incident.pk])).status_code == 403
    assert root.post(reverse("admin:incidents_incident_delete", args=[incident.pk]), {"post": "yes"}).status_code == 403
    assert root.get(reverse("admin:webhooks_webhookdelivery_delete", args=[delivery_id])).status_code == 403
    assert (
        root.post(reverse("admin:webhooks_webhookendpoint_delete", args=[used.pk]), {"post": "yes"}).status_code == 403
    )
    changelist = root.get(reverse("admin:incidents_incident_changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert WebhookDelivery.objects.filter(pk=delivery_id).exists() and WebhookEndpoint.objects.filter(pk=used.pk)
    # An endpoint that never delivered anything can still go.
    assert (
        root.post(reverse("admin:webhooks_webhookendpoint_delete", args=[unused.pk]), {"post": "yes"}).status_code
        == 302
    )
    assert not WebhookEndpoint.objects.filter(pk=unused.pk).exists()


def test_a_nul_byte_in_a_pasted_host_name_is_an_unknown_host_not_a_500(login, requester):
    HostFactory(hostname="web01")
    client = login(requester)
    response = client.post(
        reverse("changes:form_hosts"), {"action": "paste", "hosts_paste": "web01\nweb\x0002"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert [host.hostname for host in response.context["picker"]["selected"]] == ["web01"]
    assert "web\ufffd02" in response.content.decode()
    assert client.get(reverse("changes:host_search"), {"q": "web\x0001"}).status_code in (200, 400)
