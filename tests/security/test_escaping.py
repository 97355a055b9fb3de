"""HTML in every user-controlled field is shown as text on every page, partial and feed that shows it.

One world of objects whose text fields carry two classic payloads; every page that renders them must contain the
payload escaped and never raw. Feeds and exports are checked for their own format: the Atom feed is well-formed
XML with the payload escaped, CSV/ICS/JSON are served with their own non-HTML content types.
"""

import json
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.services import regenerate_feed_token
from apps.audit.choices import AuditVia
from apps.audit.models import AuditEntry
from apps.changes import services
from apps.changes.choices import HostExecutionState
from apps.changes.models import ChangeTemplate
from apps.incidents import services as incident_services
from apps.inventory import services as inventory_services
from apps.inventory.models import Environment, Tag
from tests.factories import (
    FreezeWindowFactory,
    HostFactory,
    MembershipFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"{SCRIPT}{IMG}"
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror")
ESCAPED_MARKER = "&lt;script&gt;alert(1)&lt;/script&gt;"
HTMX = {"HTTP_HX_REQUEST": "true"}


def evil(label: str) -> str:
    return f"{label} {PAYLOAD}"


@pytest.fixture
def world(db):
    team = TeamFactory(name=evil("team"), slug="evil-team")
    requester = UserFactory(username="requester")
    lead = UserFactory(username="lead")
    MembershipFactory(team=team, user=requester)
    MembershipFactory(team=team, user=lead, is_lead=True)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    env = Environment.objects.create(
        name=evil("env")[:64], slug="evil-env", order=5, is_production=True, description=evil("environment")
    )
    service = ServiceFactory(name=evil("svc")[:100], slug="evil-svc", description=evil("service"), owner_team=team)
    tag = Tag.objects.create(name=evil("tag")[:64], slug="evil-tag")
    host = HostFactory(hostname="web01.evil", environment=env, fqdn=evil("fqdn"))
    host.services.add(service)
    host.tags.add(tag)
    # A recorded edit, so the host page's history and the audit log's admin show the payload too.
    history_tag = Tag.objects.create(name=evil("history tag")[:64], slug="evil-history-tag")
    inventory_services.update_host(actor=admin, host=host, via=AuditVia.ADMIN, tags=[tag, history_tag])
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)
    freeze = FreezeWindowFactory(
        name=evil("freeze"), reason=evil("reason"), start=start - timedelta(hours=1), end=start + timedelta(hours=5)
    )
    freeze.environments.add(env)
    template = ChangeTemplate.objects.create(
        name=evil("template"),
        title=evil("template title"),
        summary=evil("template summary"),
        implementation_plan=evil("template plan"),
        backout_plan=evil("template backout"),
        environment=env,
        team=team,
    )
    texts = {name: evil(name) for name in ("summary", "implementation_plan", "test_plan", "backout_plan")}
    change = services.create_change(
        actor=requester,
        hosts=[host],
        services=[service],
        title=evil("title"),
        artifact=evil("artifact")[:200],
        freeze_justification=evil("justification"),
        environment=env,
        team=team,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        **texts,
    )
    services.add_comment(change=change, actor=requester, text=evil("comment"))
    services.set_host_states(
        change=change, hosts=[host], state=HostExecutionState.FAILED, actor=requester, note=evil("host note")
    )
    change = services.submit_change(change=change, actor=requester)
    other = services.create_change(
        actor=requester,
        hosts=[host],
        title=evil("collider"),
        backout_plan="x",
        environment=env,
        team=team,
        planned_start=start + timedelta(minutes=30),
        planned_end=start + timedelta(hours=1),
    )
    incident = incident_services.open_incident(
        actor=lead,
        title=evil("incident"),
        started_at=timezone.now() - timedelta(minutes=5),
        severity="sev2",
        hosts=[host],
        services=[service],
    )
    incident_services.add_note(incident=incident, actor=lead, text=evil("incident note"))
    return {
        "team": team,
        "requester": requester,
        "lead": lead,
        "admin": admin,
        "host": host,
        "service": service,
        "change": change,
        "other": other,
        "template": template,
        "incident": incident,
        "day": start.date().isoformat(),
    }


def assert_escaped(response, *, must_show=True):
    assert response.status_code == 200, (response.status_code, response.request["PATH_INFO"])
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    for marker in RAW_MARKERS:
        assert marker not in body, f"unescaped {marker!r} in {response.request['PATH_INFO']}"
    if must_show:
        assert ESCAPED_MARKER in body, f"payload not shown at all in {response.request['PATH_INFO']}"


def page_urls(world) -> list[tuple[str, dict]]:
    """Every page that shows the world's text, and the search boxes that echo what was typed."""
    change, host, incident = world["change"], world["host"], world["incident"]
    day = world["day"]
    calendar = reverse("schedule:calendar")
    detail = change.get_absolute_url()
    return [
        (reverse("dashboard:home"), {}),
        (reverse("changes:change_list"), {}),
        (reverse("changes:change_list"), {"q": PAYLOAD}),
        (detail, {}),
        (reverse("changes:change_edit", args=[change.pk]), {}),
        (reverse("changes:change_clone", args=[change.pk]), {}),
        (reverse("changes:change_create"), {"template": world["template"].pk}),
        (calendar, {"view": "month", "date": day}),
        (calendar, {"view": "week", "date": day}),
        (calendar, {"view": "day", "date": day}),
        (calendar, {"view": "timeline", "date": day}),
        (reverse("inventory:host_list"), {}),
        (host.get_absolute_url(), {}),
        (reverse("accounts:team_list"), {}),
        (reverse("accounts:team_detail", args=[world["team"].slug]), {}),
        (reverse("incidents:incident_list"), {}),
        (incident.get_absolute_url(), {}),
        (reverse("bridge:host_suspects", args=[host.hostname]), {}),
        (reverse("bridge:lookup"), {"host": PAYLOAD}),
    ]


@pytest.mark.django_db
def test_every_page_and_partial_escapes_user_text(world, client):
    client.force_login(world["requester"])
    for url, params in page_urls(world):
        assert_escaped(client.get(url, params, follow=True))
        assert_escaped(
            client.get(url, params, follow=True, **HTMX), must_show=False
        )  # the htmx partial, where there is one
    detail = world["change"].get_absolute_url()
    for fragment in ("activity", "status", "collisions"):
        assert_escaped(client.get(detail, {"fragment": fragment}, **HTMX), must_show=fragment != "status")
    assert_escaped(client.get(reverse("incidents:incident_live", args=[world["incident"].pk]), **HTMX))


@pytest.mark.django_db
def test_each_field_is_shown_escaped_where_it_appears(world, client):
    """Not just one field per page: every payload-bearing field is on the pages that show it."""
    client.force_login(world["requester"])
    detail = client.get(world["change"].get_absolute_url()).content.decode()
    for label in ("title", "summary", "implementation_plan", "test_plan", "backout_plan", "comment", "host note"):
        assert f"{label} &lt;script&gt;" in detail, label
    assert "svc &lt;script&gt;" in detail and "team &lt;script&gt;" in detail
    host_page = client.get(world["host"].get_absolute_url()).content.decode()
    assert "fqdn &lt;script&gt;" in host_page
    assert "history tag &lt;script&gt;" in host_page.split('id="host-history"')[1]
    incident = client.get(world["incident"].get_absolute_url()).content.decode()
    assert "incident &lt;script&gt;" in incident and "incident note &lt;script&gt;" in incident
    template_form = client.get(reverse("changes:change_create"), {"template": world["template"].pk}).content.decode()
    assert "template title &lt;script&gt;" in template_form


@pytest.mark.django_db
def test_approval_inbox_escapes_user_text(world, client):
    client.force_login(world["lead"])
    assert_escaped(client.get(reverse("approvals:inbox")))
    assert_escaped(client.get(world["change"].get_absolute_url()))  # with the decision form


@pytest.mark.django_db
def test_admin_pages_escape_user_text(world, client):
    client.force_login(world["admin"])
    change = world["change"]
    for url in (
        reverse("admin:changes_change_changelist"),
        reverse("admin:changes_change_change", args=[change.pk]),
        reverse("admin:changes_changeactivity_changelist"),
        reverse("admin:inventory_host_change", args=[world["host"].pk]),
        reverse("admin:audit_auditentry_changelist"),
        reverse("admin:audit_auditentry_change", args=[AuditEntry.objects.for_object(world["host"]).first().pk]),
        reverse("admin:incidents_incident_change", args=[world["incident"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert all(marker not in body for marker in RAW_MARKERS), url


@pytest.mark.django_db
def test_feeds_and_exports_are_not_html_and_atom_is_well_formed(world, client):
    token = regenerate_feed_token(user=world["requester"])
    anonymous = Client()
    atom = anonymous.get(reverse("schedule:feed_atom"), {"token": token})
    assert atom.status_code == 200 and atom["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(atom.content)  # raises on malformed XML
    texts = " ".join(element.text or "" for element in root.iter())
    assert SCRIPT in texts  # the title, as text once parsed
    assert all(marker.encode() not in atom.content for marker in RAW_MARKERS)

    ics = anonymous.get(reverse("schedule:feed_ics"), {"token": token})
    assert ics.status_code == 200 and ics["Content-Type"].startswith("text/calendar")

    client.force_login(world["requester"])
    export = client.get(reverse("schedule:change_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert export["Content-Disposition"].startswith("attachment;")  # downloaded, never rendered by the browser


@pytest.mark.django_db
def test_api_answers_are_json_with_the_text_verbatim(world, client):
    client.force_login(world["requester"])
    change, host, incident = world["change"], world["host"], world["incident"]
    for url in (
        "/api/v1/changes",
        f"/api/v1/changes/{change.pk}",
        f"/api/v1/hosts/{host.hostname}",
        f"/api/v1/hosts/{host.hostname}/suspects",
        f"/api/v1/incidents/{incident.pk}",
        "/api/v1/services",
        "/api/v1/teams",
        "/api/v1/freeze-windows",
    ):
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert SCRIPT in json.dumps(response.json(), ensure_ascii=False), url
