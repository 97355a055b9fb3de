"""A day with 120 changes stays readable in every calendar view: stacks that expand by keyboard, no page overflow,
freezes and collisions still marked. Screenshots go to /tmp/shots/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import ChangeHostFactory, FreezeWindowFactory, HostFactory, TeamFactory, UserFactory, environment
from tests.schedule.conftest import make_change

SHOTS = Path("/tmp/shots")
DENSE = 120


def _seed_dense_day():
    """120 changes on today's date, 08:00–18:00 in 15-minute steps, a third without a team; two collide."""
    day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    teams = [TeamFactory(name=f"Team {name}", slug=name) for name in ("ops", "web", "db")]
    for n in range(DENSE):
        start = day + timedelta(hours=8, minutes=15 * (n % 40))
        make_change(
            start,
            start + timedelta(minutes=30 + 15 * (n % 4)),
            title=f"Dense change {n:03d}",
            team=teams[n % 3] if n % 3 else None,
        )
    host = HostFactory(hostname="prod-db01")
    early = day + timedelta(hours=6)
    for title in ("Collider one", "Collider two"):
        ChangeHostFactory(change=make_change(early, early + timedelta(hours=1), title=title), host=host)
    freeze = FreezeWindowFactory(name="Payroll freeze", start=day + timedelta(hours=12), end=day + timedelta(hours=14))
    freeze.environments.add(environment("prod"))
    return day


RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__csp.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile);
});
"""


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.add_init_script(RECORD)

    def console(message) -> None:
        # Chromium asks for /favicon.ico on its own; the portal has none, and that 404 is no page's error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page: Page) -> None:
    """No horizontal page overflow, and nothing on the page reports a CSP violation."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate("window.__csp") == []


def _stack_total(stacks) -> int:
    return sum(int(text) for text in stacks.locator("summary strong").all_inner_texts())


def _open_by_keyboard(page: Page, stack) -> None:
    stack.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(stack).to_have_attribute("open", "")
    expect(stack.locator(".more-list")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_day_with_120_changes_stays_readable_in_every_view(browser_page, browser_login):
    day = _seed_dense_day()
    page = browser_page
    errors = _watch(page)
    browser_login(page, UserFactory(username="dense"))
    page.set_viewport_size({"width": 1400, "height": 900})

    # Week: the busy run is hourly stacks with a count; the two colliding changes keep their own boxes.
    page.goto(f"/calendar/?view=week&date={day:%Y-%m-%d}")
    column = page.locator(".tg-col.is-today")
    stacks = column.locator("details.stack")
    expect(stacks).to_have_count(10)  # 08:00 … 17:00
    assert _stack_total(stacks) == DENSE
    expect(column.locator(".ev.collides")).to_have_count(2)
    expect(column.locator(".ev.collides .ev-flag").first).to_be_visible()
    expect(column.locator(".freeze")).to_have_count(1)
    frozen = column.locator("details.stack.stack-frozen")
    expect(frozen).to_have_count(2)  # 12:00 and 13:00, under the payroll freeze
    expect(frozen.first.locator(".stack-freeze")).to_be_visible()
    _fits(page)
    _shot(page, "dense-week")
    first = stacks.first
    expect(first.locator("summary")).to_contain_text("08:00")
    _open_by_keyboard(page, first)
    expect(first.locator(".more-list li")).to_have_count(12)
    expect(first.locator(".more-list")).to_contain_text("Dense change 000")
    _shot(page, "dense-week-open")
    page.keyboard.press("Enter")  # the same key closes it
    expect(first).not_to_have_attribute("open", "")
    _fits(page)

    # Day: the same stacks, full width; a change in a stack opens from the expanded list.
    page.goto(f"/calendar/?view=day&date={day:%Y-%m-%d}")
    stacks = page.locator(".tg-col details.stack")
    assert _stack_total(stacks) == DENSE
    expect(page.locator(".tg-col .ev.collides")).to_have_count(2)
    _open_by_keyboard(page, stacks.nth(4))
    _shot(page, "dense-day")
    _fits(page)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('.more-list') !== null")
    assert focused  # the first change of the list is the next stop
    page.keyboard.press("Enter")
    page.wait_for_url("**/changes/*/")
    page.go_back()

    # Month: three entries and "+119 more", the collisions among the three shown.
    page.goto(f"/calendar/?view=month&date={day:%Y-%m-%d}")
    cell = page.locator(".month-cell.is-today")
    expect(cell.locator(".ev")).to_have_count(3)
    expect(cell.locator("details.more summary")).to_have_text("+119 more")
    expect(cell.locator(".ev.collides")).to_have_count(2)
    expect(cell.locator(".freeze-tag")).to_contain_text("Payroll freeze")
    _shot(page, "dense-month")
    _fits(page)

    # Timeline over the week: one stack a lane for the day; the "No team" lane's says it holds the collisions.
    page.goto(f"/calendar/?view=timeline&span=week&date={day:%Y-%m-%d}")
    lanes = page.locator(".tl-body .tl-row")
    expect(lanes).to_have_count(3)
    no_team = page.locator(".tl-body .tl-row[aria-label='No team']")
    stack = no_team.locator("details.stack")
    expect(stack).to_have_count(1)
    expect(stack).to_have_class(re.compile(r"stack-collides"))
    expect(stack.locator(".stack-flag")).to_contain_text("2")
    expect(stack.locator(".stack-freeze")).to_be_visible()
    assert _stack_total(page.locator(".tl-body details.stack")) == DENSE + 2
    _open_by_keyboard(page, stack)
    _shot(page, "dense-timeline-week")
    _fits(page)

    # Timeline over the day: hourly stacks per lane instead of slivers.
    page.goto(f"/calendar/?view=timeline&span=day&date={day:%Y-%m-%d}")
    assert _stack_total(page.locator(".tl-body details.stack")) + page.locator(".tl-body .ev").count() == DENSE + 2
    expect(page.locator(".tl-body .ev.collides")).to_have_count(2)
    _shot(page, "dense-timeline-day")
    _fits(page)
    assert errors == []
