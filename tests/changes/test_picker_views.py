from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.inventory.models import Host
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, ServiceFactory, environment

HTMX = {"HTTP_HX_REQUEST": "true"}
PICKER = reverse("changes:form_hosts")
SEARCH = reverse("changes:host_search")


def _selected(response) -> list[str]:
    return [host.hostname for host in response.context["picker"]["selected"]]


@pytest.mark.django_db
def test_add_and_remove_one_host(login, requester):
    HostFactory(hostname="web01"), HostFactory(hostname="web02")
    client = login(requester)
    response = client.post(PICKER, {"hosts": ["web01"], "action": "add", "host": "web02"}, **HTMX)
    assert _selected(response) == ["web01", "web02"]
    assert response["HX-Trigger"] == "hostsChanged"
    assert 'name="hosts" value="web02"' in response.content.decode()
    response = client.post(PICKER, {"hosts": ["web01", "web02"], "action": "remove", "host": "web01"}, **HTMX)
    assert _selected(response) == ["web02"]


@pytest.mark.django_db
def test_add_every_host_of_a_service_environment_or_tag(login, requester):
    billing = ServiceFactory(name="billing-web", slug="billing-web")
    web1, web2 = HostFactory(hostname="web01"), HostFactory(hostname="web02")
    web1.services.add(billing), web2.services.add(billing)
    HostFactory(hostname="db01")
    HostFactory(hostname="qa-web01", environment=environment("qa"))
    client = login(requester)
    response = client.post(PICKER, {"action": "add_group", "host_group": "service:billing-web"}, **HTMX)
    assert _selected(response) == ["web01", "web02"]
    response = client.post(PICKER, {"hosts": ["web01"], "action": "add_group", "host_group": "environment:qa"}, **HTMX)
    assert _selected(response) == ["web01", "qa-web01"]


@pytest.mark.django_db
def test_paste_lists_unknown_names_back_and_keeps_them(login, requester):
    HostFactory(hostname="web01"), HostFactory(hostname="app01")
    response = login(requester).post(PICKER, {"action": "paste", "hosts_paste": "web01\nAPP01, typo01 ;web01"}, **HTMX)
    assert _selected(response) == ["web01", "app01"]
    body = response.content.decode()
    assert "Unknown hostname, not added" in body and "typo01" in body
    assert ">typo01</textarea>" in body


@pytest.mark.django_db
def test_search_puts_prefix_matches_first_and_skips_selected(login, requester):
    for name in ["web01", "web02", "newweb01", "db01"]:
        HostFactory(hostname=name)
    HostFactory(hostname="web03", is_active=False)
    response = login(requester).get(SEARCH, {"host_query": "WEB", "hosts": ["web02"]}, **HTMX)
    assert [host.hostname for host in response.context["results"]] == ["web01", "newweb01"]
    response = login(requester).get(SEARCH, {"host_query": "zzz"}, **HTMX)
    assert "No active host matches" in response.content.decode()


@pytest.mark.django_db
def test_search_is_bounded_and_its_query_count_fixed(login, requester, django_assert_max_num_queries):
    HostFactory.create_batch(60)
    client = login(requester)
    client.get(SEARCH, {"host_query": "host"})
    with django_assert_max_num_queries(5):
        response = client.get(SEARCH, {"host_query": "host"}, **HTMX)
    assert len(response.context["results"]) == 20


@pytest.mark.django_db
def test_live_collision_warning_links_the_other_change(login, requester, team):
    web = HostFactory(hostname="web01")
    start = (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    other = ChangeFactory(title="Nginx config", planned_start=start, planned_end=start + timedelta(hours=1))
    ChangeHostFactory(change=other, host=web)
    local = timezone.localtime(start)
    data = {
        "planned_start": local.strftime("%Y-%m-%dT%H:%M"),
        "planned_end": (local + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "environment": environment("prod").pk,
        "hosts": ["web01"],
    }
    response = login(requester).post(reverse("changes:form_collisions"), data, **HTMX)
    body = response.content.decode()
    assert f'href="{other.get_absolute_url()}"' in body and 'Same host: <span class="mono">web01</span>' in body
    data["hosts"] = []
    response = login(requester).post(reverse("changes:form_collisions"), data, **HTMX)
    assert "No other change touches" in response.content.decode()


@pytest.mark.django_db
def test_kind_guidance_follows_the_kind(login, requester):
    response = login(requester).get(reverse("changes:kind_guidance"), {"kind": "firewall"}, **HTMX)
    assert "source, destination, port" in response.content.decode()


@pytest.mark.django_db
def test_a_large_group_is_added_whole_with_a_fixed_query_count(login, requester, django_assert_max_num_queries):
    fleet = ServiceFactory(name="fleet", slug="fleet")
    prod = environment("prod")
    Host.objects.bulk_create(Host(hostname=f"node{n:05d}", environment=prod) for n in range(1500))
    fleet.hosts.add(*Host.objects.all())
    client = login(requester)
    client.get(SEARCH, {"host_query": "x"})
    with django_assert_max_num_queries(12):
        response = client.post(PICKER, {"action": "add_group", "host_group": "service:fleet"}, **HTMX)
    body = response.content.decode()
    assert body.count('name="hosts"') == 1500
    assert body.count('class="chip"') == 100
    assert "and 1400 more" in body
    hosts = [f"node{n:05d}" for n in range(1500)]
    with django_assert_max_num_queries(12):
        response = client.post(PICKER, {"hosts": hosts, "action": "remove", "host": "node00000"}, **HTMX)
    assert len(response.context["picker"]["selected"]) == 1499


@pytest.mark.django_db
def test_retired_hosts_are_named_not_added_by_paste_or_by_name(login, requester):
    HostFactory(hostname="web01"), HostFactory(hostname="web07", is_active=False)
    client = login(requester)
    response = client.post(PICKER, {"action": "paste", "hosts_paste": "web01 web07"}, **HTMX)
    assert _selected(response) == ["web01"]
    body = response.content.decode()
    assert "Retired host, not added" in body and "web07" in body
    response = client.post(PICKER, {"hosts": ["web01"], "action": "add", "host": "WEB07"}, **HTMX)
    assert _selected(response) == ["web01"]
    assert "Retired host, not added" in response.content.decode()
