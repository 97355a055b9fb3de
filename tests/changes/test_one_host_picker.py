"""The change form and the incident form share one host picker: the same actions, type-ahead, template and rules."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.changes.models import Change
from apps.incidents.models import Incident
from apps.inventory.models import Host
from tests.factories import HostFactory, environment

HTMX = {"HTTP_HX_REQUEST": "true"}


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _change_form(team) -> dict:
    start = (timezone.now() + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": "patch",
        "change_type": "normal",
        "title": "Patch libssl",
        "environment": environment("qa").pk,
        "team": team.pk,
        "planned_start": _local(start),
        "planned_end": _local(start + timedelta(hours=2)),
        "risk": "low",
        "implementation_plan": "apt-get install libssl3",
        "intent": "draft",
    }


def _incident_form(team) -> dict:
    return {"title": "Checkout errors", "severity": "sev2", "started_at": _local(timezone.now()), "window_hours": "72"}


FORMS = {
    "change": ("changes:change_create", "changes:form_hosts", "changes:host_search", _change_form, Change),
    "incident": (
        "incidents:incident_create",
        "incidents:form_hosts",
        "incidents:picker_search",
        _incident_form,
        Incident,
    ),
}


@pytest.fixture(params=sorted(FORMS))
def picker(request, login, requester, team):
    create, actions, search, data, model = FORMS[request.param]
    HostFactory(hostname="web01"), HostFactory(hostname="web02"), HostFactory(hostname="web07", is_active=False)
    client = login(requester)
    return {
        "client": client,
        "create": reverse(create),
        "actions": reverse(actions),
        "search": reverse(search),
        "data": data(team),
        "model": model,
    }


def _selected(response) -> list[str]:
    return [host.hostname for host in response.context["picker"]["selected"]]


@pytest.mark.django_db
def test_both_forms_render_the_one_picker_posting_to_their_own_urls(picker):
    page = picker["client"].get(picker["create"]).content.decode()
    assert 'id="host-picker"' in page and 'id="host-query"' in page
    assert f'hx-post="{picker["actions"]}"' in page and f'hx-get="{picker["search"]}"' in page
    assert "Add every host of" in page and "Paste hostnames" in page


@pytest.mark.django_db
def test_a_retired_host_is_refused_by_name_and_by_paste_in_the_picker(picker):
    client = picker["client"]
    response = client.post(picker["actions"], {"hosts": ["web01"], "action": "add", "host": "WEB07"}, **HTMX)
    assert _selected(response) == ["web01"]
    assert "Retired host, not added" in response.content.decode()
    response = client.post(picker["actions"], {"action": "paste", "hosts_paste": "web02 web07"}, **HTMX)
    assert _selected(response) == ["web02"]
    assert "Retired host, not added" in response.content.decode() and "web07" in response.content.decode()
    assert response["HX-Trigger"] == "hostsChanged"


@pytest.mark.django_db
def test_a_retired_host_is_refused_on_submit(picker):
    client, model = picker["client"], picker["model"]
    response = client.post(picker["create"], picker["data"] | {"hosts": ["web01", "web07"]})
    assert response.status_code == 400
    assert "Retired hosts: web07" in response.content.decode()
    response = client.post(picker["create"], picker["data"] | {"hosts": ["web01"], "hosts_paste": "web07"})
    assert response.status_code == 400
    assert "Retired hosts: web07. Nothing from this box was added" in response.content.decode()
    assert not model.objects.exists()


@pytest.mark.django_db
def test_pasted_names_count_on_submit_and_unknown_ones_are_listed_back(picker):
    client, model = picker["client"], picker["model"]
    response = client.post(picker["create"], picker["data"] | {"hosts_paste": "web02, ghost01"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Unknown hostnames: ghost01" in body and "ghost01</textarea>" in body.replace("web02, ", "")
    response = client.post(picker["create"], picker["data"] | {"hosts": ["web01"], "hosts_paste": "WEB02"})
    assert response.status_code == 302
    created = model.objects.get()
    linked = created.hosts.all() if model is Incident else [link.host for link in created.host_links.all()]
    assert sorted(host.hostname for host in linked) == ["web01", "web02"]


@pytest.mark.django_db
def test_a_nul_is_refused_with_a_form_error_not_a_500(picker):
    client = picker["client"]
    response = client.post(picker["create"], picker["data"] | {"hosts": ["web\x0001"]})
    assert response.status_code == 400 and response.context["form"].errors["hosts"]
    assert "web\ufffd01" in response.context["picker"]["unknown"]  # listed back, visibly
    response = client.post(picker["create"], picker["data"] | {"hosts_paste": "web01\nweb\x0002"})
    assert response.status_code == 400 and response.context["form"].errors["hosts_paste"]
    response = client.post(picker["actions"], {"action": "paste", "hosts_paste": "web01 web\x0002"}, **HTMX)
    assert response.status_code == 200 and _selected(response) == ["web01"]
    assert "Unknown hostname, not added" in response.content.decode()
    response = client.post(picker["actions"], {"hosts": ["web\x0001"], "action": "add", "host": "web02"}, **HTMX)
    assert response.status_code == 200 and _selected(response) == ["web02"]
    assert picker["client"].get(picker["search"], {"host_query": "web\x00"}, **HTMX).status_code < 500


@pytest.mark.django_db
def test_type_ahead_skips_retired_and_selected_hosts(picker):
    response = picker["client"].get(picker["search"], {"host_query": "WEB", "hosts": ["web02"]}, **HTMX)
    assert [host.hostname for host in response.context["results"]] == ["web01"]
    body = response.content.decode()
    assert "web07" not in body and f'hx-post="{picker["actions"]}"' in body
    response = picker["client"].get(picker["search"], {"host_query": "web07"}, **HTMX)
    assert "No active host matches “web07”" in response.content.decode()


@pytest.mark.django_db
def test_an_edit_keeps_a_host_retired_since_but_cannot_add_another(login, requester, team):
    HostFactory(hostname="web01"), HostFactory(hostname="web07", is_active=False)
    client = login(requester)
    data = _change_form(team)
    assert client.post(reverse("changes:change_create"), data | {"hosts": ["web01"]}).status_code == 302
    change = Change.objects.get()
    Host.objects.filter(hostname="web01").update(is_active=False)
    edit = reverse("changes:change_edit", args=[change.pk])
    data |= {"version": change.version, "title": "Patch libssl (renamed)"}
    assert client.post(edit, data | {"hosts": ["web01"]}).status_code == 302
    response = client.post(edit, data | {"version": change.version + 1, "hosts": ["web01", "web07"]})
    assert response.status_code == 400 and "Retired hosts: web07" in response.content.decode()
