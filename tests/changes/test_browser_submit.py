"""A requester submits a change in a real browser: type-ahead host picking and a live collision warning."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.changes.models import Change
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, MembershipFactory, TeamFactory, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_submit_a_change_seeing_a_collision_first(browser_page, browser_login):
    team = TeamFactory(name="Ops", slug="ops")
    user = UserFactory(username="olga")
    MembershipFactory(team=team, user=user)
    web07 = HostFactory(hostname="prod-web07")
    HostFactory(hostname="prod-web08")
    start = (timezone.localtime() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    other = ChangeFactory(title="Nginx worker tuning", planned_start=start, planned_end=start + timedelta(hours=1))
    ChangeHostFactory(change=other, host=web07)
    page = browser_page

    browser_login(page, user)
    page.goto("/changes/new/")
    page.select_option("#id_kind", "config")
    expect(page.locator("#kind-guidance")).to_contain_text("Name each file")
    page.fill("#id_title", "Raise nginx keepalive timeout")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_backout_plan", "Restore the previous nginx.conf and reload")

    page.locator("#host-query").press_sequentially("web0", delay=30)
    result = page.get_by_role("option", name="prod-web07")
    expect(result).to_be_visible()
    result.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#host-picker .chip")).to_contain_text("prod-web07")

    warning = page.locator("#collision-warnings")
    expect(warning).to_contain_text("Nginx worker tuning")
    expect(warning).to_contain_text("Same host: prod-web07")

    page.get_by_role("button", name="Submit for approval").click()
    page.wait_for_url("**/changes/*/")
    expect(page.locator("#status-panel")).to_contain_text("Submitted")
    expect(page.locator("#host-table")).to_contain_text("prod-web07")

    page.goto("/changes/?q=keepalive")
    row = page.locator("#change-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Raise nginx keepalive timeout")
    expect(row.locator("td").nth(7)).to_have_text("1")
    change = Change.objects.get(title="Raise nginx keepalive timeout")
    assert list(change.hosts.values_list("hostname", flat=True)) == ["prod-web07"]
