"""The pages: host lookup, incident list and form, the live bridge, and what participants do on it."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import UserProfile
from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.incidents import services
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import Backout, Incident, IncidentNote, SuspectMark
from tests.incidents.builders import AT, change, host, many_changes, service

A = HostExecutionState.APPLIED
HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def web01():
    return host("web01", services=[service("web")])


@pytest.fixture
def incident(web01, requester):
    return services.open_incident(
        actor=requester,
        title="Errors <b>everywhere</b>",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=[web01],
    )


@pytest.fixture
def release(web01, team, requester):
    return change(
        title="Release <script>alert(1)</script>",
        at=timezone.now() - timedelta(hours=1),
        ended_before=timedelta(hours=2),
        hosts={web01: A},
        team=team,
        requester=requester,
    )


def test_pages_need_a_login(client, incident):
    for url in (
        reverse("incidents:incident_list"),
        reverse("incidents:incident_detail", args=[incident.pk]),
        reverse("bridge:lookup"),
        reverse("bridge:host_suspects", args=["web01"]),
        reverse("bridge:host_search") + "?host=web",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_navigation_has_the_host_search_and_incidents(login, outsider):
    page = login(outsider).get(reverse("incidents:incident_list")).content.decode()
    assert 'id="nav-host-search"' in page and 'hx-get="/bridge/search/"' in page
    assert f'href="{reverse("incidents:incident_list")}" class="active" aria-current="page">Incidents' in page


def test_type_ahead_links_to_each_hosts_suspects_and_escapes(login, outsider, web01):
    client = login(outsider)
    page = client.get(reverse("bridge:host_search"), {"host": "web"}).content.decode()
    assert 'href="/bridge/hosts/web01/"' in page
    page = client.get(reverse("bridge:host_search"), {"host": "<img src=x>"}).content.decode()
    assert "<img" not in page and "&lt;img src=x&gt;" in page


def test_lookup_opens_an_exact_host_and_lists_partial_matches(login, outsider, web01):
    client = login(outsider)
    response = client.get(reverse("bridge:lookup"), {"host": "WEB01 ", "hours": "24"})
    assert response.status_code == 302 and response["Location"] == "/bridge/hosts/web01/?hours=24"
    host("web02")
    page = client.get(reverse("bridge:lookup"), {"host": "web0"}).content.decode()
    assert "/bridge/hosts/web01/" in page and "/bridge/hosts/web02/" in page
    page = client.get(reverse("bridge:lookup"), {"host": "nothing-like-it"}).content.decode()
    assert "No host is named like" in page


def test_host_page_ranks_with_reasons_and_escapes_titles(login, outsider, release, web01):
    page = login(outsider).get(reverse("bridge:host_suspects", args=["web01"])).content.decode()
    assert "Release &lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "applied on this host" in page and "Why " in page
    assert "Open an incident for this host" in page


def test_host_page_empty_state_names_host_window_and_time(login, outsider, web01):
    client = login(outsider)
    response = client.get(reverse("bridge:host_suspects", args=["web01"]), {"at": "2026-03-10T07:00"})
    assert "No change touched web01 in the 72 hours before Tue 10 Mar 07:00." in response.content.decode()
    assert client.get(reverse("bridge:host_suspects", args=["nope"])).status_code == 404


def test_at_is_entered_in_the_users_time_zone(login, outsider, web01):
    UserProfile.objects.update_or_create(user=outsider, defaults={"time_zone": "Europe/Paris"})
    change(title="at 06:30 UTC", at=AT, ended_before=timedelta(minutes=30), hosts={web01: A})
    response = login(outsider).get(
        reverse("bridge:host_suspects", args=["web01"]), {"at": "2026-03-10T08:00", "hours": "1"}
    )
    report = response.context["report"]
    assert report.at == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    assert [s.change.title for s in report.suspects] == ["at 06:30 UTC"]
    assert "Tue 10 Mar 2026 08:00" in response.content.decode()


def test_open_an_incident_from_the_form(login, outsider, web01):
    client = login(outsider)
    form = client.get(reverse("incidents:incident_create"), {"host": "web01", "at": "2026-03-10T07:00"})
    assert form.status_code == 200 and 'value="web01"' in form.content.decode()
    response = client.post(
        reverse("incidents:incident_create"),
        {
            "title": "Billing down",
            "severity": "sev1",
            "started_at": "2026-03-10T07:00",
            "window_hours": "72",
            "hosts": ["web01"],
        },
    )
    incident = Incident.objects.get(title="Billing down")
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert list(incident.hosts.all()) == [web01] and incident.started_at == AT
    bad = client.post(
        reverse("incidents:incident_create"),
        {
            "title": "No hosts",
            "severity": "sev1",
            "started_at": "2026-03-10T07:00",
            "window_hours": "72",
            "hosts": ["web01", "ghost"],
        },
    )
    assert bad.status_code == 400 and "ghost" in bad.content.decode()


def test_incident_form_host_picker(login, outsider, web01):
    client = login(outsider)
    results = client.get(reverse("incidents:picker_search"), {"host_query": "web"}).content.decode()
    assert "web01" in results
    picker = client.post(reverse("incidents:form_hosts"), {"action": "add", "host": "web01"}).content.decode()
    assert 'name="hosts" value="web01"' in picker
    picker = client.post(reverse("incidents:form_hosts"), {"action": "paste", "hosts_paste": "web01, ghost"})
    assert "ghost" in picker.content.decode() and "Unknown hostname" in picker.content.decode()


def test_incident_list_shows_open_ones_by_default(login, outsider, incident):
    client = login(outsider)
    assert "Errors &lt;b&gt;everywhere&lt;/b&gt;" in client.get(reverse("incidents:incident_list")).content.decode()
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=outsider)
    assert "No open incident." in client.get(reverse("incidents:incident_list")).content.decode()
    assert incident.title not in client.get(reverse("incidents:incident_list")).content.decode()
    assert "everywhere" in client.get(reverse("incidents:incident_list"), {"status": "all"}).content.decode()


def test_bridge_page_polls_its_changing_parts_without_inline_script(login, outsider, incident, release):
    page = login(outsider).get(incident.get_absolute_url()).content.decode()
    for part in ("suspects", "matrix", "drift", "backouts", "timeline", "incident-header"):
        assert f'id="{part}"' in page
    assert re.search(r'id="bridge-live"[^>]*hx-trigger="every 4s"', page)
    assert "Release &lt;script&gt;" in page and "Errors &lt;b&gt;everywhere&lt;/b&gt;" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "no inline scripts (CSP)"
    assert 'hx-preserve="true"' in page, "forms inside polled parts keep what is typed"
    assert 'id="note-text"' in page.split('id="timeline"')[0], "the note form sits outside the polled timeline"


def test_live_answers_204_until_something_changes(login, outsider, incident, release):
    client = login(outsider)
    first = client.get(reverse("incidents:incident_live", args=[incident.pk]), **HTMX)
    assert first.status_code == 200
    digest = re.search(r"\?v=([0-9a-f]+)", first.content.decode()).group(1)
    assert 'hx-swap-oob="true"' in first.content.decode()
    same = client.get(reverse("incidents:incident_live", args=[incident.pk]), {"v": digest}, **HTMX)
    assert same.status_code == 204
    services.add_note(incident=incident, actor=outsider, text="web01 restarted")
    changed = client.get(reverse("incidents:incident_live", args=[incident.pk]), {"v": digest}, **HTMX)
    assert changed.status_code == 200 and "web01 restarted" in changed.content.decode()


def test_participants_note_mark_and_move_the_status(login, outsider, incident, release):
    client = login(outsider)
    note = client.post(reverse("incidents:add_note", args=[incident.pk]), {"text": "checked <logs>"}, **HTMX)
    assert note.status_code == 200 and "checked &lt;logs&gt;" in note.content.decode()
    empty = client.post(reverse("incidents:add_note", args=[incident.pk]), {"text": ""}, **HTMX)
    assert empty.status_code == 422 and "Write something" in empty.content.decode()
    url = reverse("incidents:mark_suspect", args=[incident.pk, release.pk])
    assert client.post(url, {"verdict": "ruled_out"}, **HTMX).status_code == 422
    marked = client.post(url, {"verdict": "likely_cause", "note": "matches the errors"}, **HTMX)
    assert marked.status_code == 200 and "Likely cause" in marked.content.decode()
    assert SuspectMark.objects.get().note == "matches the errors"
    plain = client.post(reverse("incidents:set_status", args=[incident.pk]), {"status": "mitigated"})
    assert plain.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MITIGATED
    assert IncidentNote.objects.filter(incident=incident).count() == 4


def test_backout_from_the_bridge(login, outsider, requester, incident, release, web01):
    url = reverse("incidents:start_backout", args=[incident.pk, release.pk])
    refused = login(outsider).post(url, {"note": "please"}, **HTMX)
    assert refused.status_code == 422 and "team lead can back out" in refused.content.decode()
    client = login(requester)
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Start backout" in page
    started = client.post(url, {"note": "Reinstall 2.3.7"}, **HTMX)
    assert started.status_code == 200 and "Rolled back on 0 of 1" in started.content.decode()
    backout = Backout.objects.get()
    rollback = reverse("incidents:record_rollback", args=[incident.pk, backout.pk])
    done = client.post(rollback, {"hosts": ["web01"]}, **HTMX)
    assert "Rolled back on 1 of 1" in done.content.decode()
    complete = reverse("incidents:complete_backout", args=[incident.pk, backout.pk])
    assert client.post(complete, {"note": ""}, **HTMX).status_code == 422
    assert client.post(complete, {"note": "2.3.7 runs"}, **HTMX).status_code == 200
    release.refresh_from_db()
    assert release.status == ChangeStatus.BACKED_OUT


def test_bridge_and_host_pages_cost_a_fixed_number_of_queries(login, outsider, django_assert_max_num_queries):
    web = service("web")
    world = {"web": web, "web01": host("web01", services=[web]), "web02": host("web02", services=[web])}
    incident = services.open_incident(
        actor=outsider, title="Down", severity=Severity.SEV1, started_at=AT, hosts=[world["web01"], world["web02"]]
    )
    client = login(outsider)
    pages = (incident.get_absolute_url(), reverse("bridge:host_suspects", args=["web01"]) + "?at=2026-03-10T07:00")
    many_changes(world, 1)
    few = {}
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page).status_code == 200
        few[page] = len(queries)
    many_changes(world, 12, offset=1)
    for page in pages:
        with django_assert_max_num_queries(few[page]):
            assert client.get(page).status_code == 200
