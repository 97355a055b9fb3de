"""The dashboard's half-width tables fit their cards at 1400 px: long titles are cut to one line, the full title
in the tooltip; nothing scrolls sideways. The screenshot is /tmp/shots/dashboard-tables-1400.png."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.changes.choices import ChangeStatus
from tests.factories import ChangeFactory, UserFactory, environment

SHOTS = Path("/tmp/shots")
LONG = "Migrate the payments ledger database cluster to the new storage array with a rolling restart of every replica"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_tables_fit_their_cards_at_1400_px(browser_page, browser_login):
    now = timezone.now()
    hour = timedelta(hours=1)
    artifact = "payments-ledger-migration-toolkit-2026.12.03-build.4711+gitdeadbeefcafe"
    for status, start in (
        (ChangeStatus.IN_PROGRESS, now - hour),
        (ChangeStatus.SUBMITTED, now + 2 * hour),
        (ChangeStatus.APPROVED, now + 5 * hour),
        (ChangeStatus.COMPLETED, now - 5 * hour),
    ):
        for index in range(3):
            ChangeFactory(
                title=f"{LONG} ({status.label} {index})",
                status=status,
                artifact=artifact,
                planned_start=start,
                planned_end=start + 2 * hour,
                environment=environment("prod"),
            )
    page = browser_page
    browser_login(page, UserFactory(username="dash"))
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto("/")
    cards = page.locator(".dash-card")
    expect(cards).to_have_count(4)
    for index in range(4):
        card = cards.nth(index)
        expect(card.locator("tbody tr").first).to_be_visible()
        fits = card.evaluate("card => card.querySelector('table').scrollWidth <= card.clientWidth")
        assert fits, card.locator("h2").inner_text()
    title = cards.nth(0).locator(".dash-title").first
    assert title.get_attribute("title").endswith(f"{LONG} (In progress 0)")
    box = title.bounding_box()
    assert box is not None and box["height"] < 30  # one line, not a tower
    assert title.evaluate("link => link.scrollWidth > link.clientWidth")  # cut, with the tooltip holding the rest
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard-tables-1400.png"), full_page=True)
