from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import FreezeWindowFactory, UserFactory, environment
from tests.schedule.conftest import make_change


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_switch_to_timeline_and_filter_without_a_reload(browser_page, browser_login):
    page = browser_page
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    # Both overlap the current hour, so they are in the current week whatever the day.
    make_change(now - timedelta(hours=1), now + timedelta(hours=2), title="Prod kernel patch", kind="patch")
    make_change(now, now + timedelta(hours=1), title="QA config tweak", environment=environment("qa"))
    freeze = FreezeWindowFactory(name="Quarter close", start=now - timedelta(hours=2), end=now + timedelta(hours=6))
    freeze.environments.add(environment("prod"), environment("qa"))
    user = UserFactory(username="browser-user")
    browser_login(page, user)

    page.goto("/calendar/")
    week = page.locator("#calendar")
    assert week.locator(".tg-col .freeze").first.is_visible()
    assert week.get_by_text("Prod kernel patch").first.is_visible()
    page.evaluate("window.__marker = 1")

    page.locator(".seg-group[aria-label=View] a", has_text="Timeline").click()
    page.wait_for_url("**view=timeline**")
    page.locator(".tl").wait_for()
    assert page.locator(".tl-overlay .freeze").count() >= 1
    assert page.locator(".freeze-band", has_text="Quarter close").first.is_visible()
    assert page.evaluate("window.__marker") == 1

    page.select_option("#id_environment", "qa")
    page.wait_for_url("**environment=qa**")
    page.locator(".tl .ev", has_text="QA config tweak").first.wait_for()
    assert page.locator(".tl .ev", has_text="Prod kernel patch").count() == 0
    assert page.evaluate("window.__marker") == 1  # htmx swapped the calendar; the page never reloaded
    assert "view=timeline" in page.url

    # The pushed URL opens the same view on its own, e.g. pasted in a chat.
    page.goto(page.url)
    assert page.locator(".tl .ev", has_text="QA config tweak").first.is_visible()
    assert page.locator(".tl .ev", has_text="Prod kernel patch").count() == 0
