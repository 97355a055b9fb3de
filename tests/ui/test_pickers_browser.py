"""The searchable pickers, the active-filter chips and saved views, driven by keyboard in Chromium.

Every page is checked for console errors and Content-Security-Policy violations (recorded by an init script, so
the page's own policy does not need a hole for it). Screenshots go to /tmp/shots/.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from apps.accounts.models import SavedView
from apps.changes.models import Change
from apps.incidents.models import Incident
from tests.factories import ChangeFactory, MembershipFactory, ServiceFactory, TeamFactory, UserFactory, environment

SHOTS = Path("/tmp/shots")
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


def _clean(page: Page, errors: list[str]) -> None:
    assert page.evaluate("window.__csp") == []
    assert errors == []


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _open_wide(page: Page, browser_login, user, path: str) -> list[str]:
    """Signed in as ``user`` at 1400 px on ``path``; the console and CSP errors collected from then on."""
    errors = _watch(page)
    browser_login(page, user)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(path)
    return errors


def _pick(page: Page, control, *typed: str) -> None:
    """Type each text into a picker's box and choose its first match with Enter, as a keyboard user does."""
    for text in typed:
        control.press_sequentially(text, delay=20)
        page.keyboard.press("Enter")


def _seed():
    ops = TeamFactory(name="Ops", slug="ops")
    web = TeamFactory(name="Web", slug="web")
    TeamFactory(name="Database", slug="database")
    user = UserFactory(username="picker-user")
    MembershipFactory(team=ops, user=user)
    services = [ServiceFactory(name=f"svc-{n:03d}") for n in range(120)]
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    ChangeFactory(title="Ops kernel patch", team=ops, planned_start=start, planned_end=start + timedelta(hours=1))
    ChangeFactory(
        title="Web release",
        team=web,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        environment=environment("qa"),
    )
    return user, services


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_pickers_by_keyboard_with_removable_chips(browser_page, browser_login):
    user, _services = _seed()
    page = browser_page
    errors = _open_wide(page, browser_login, user, "/changes/")

    team = page.locator("#id_team-ts-control")
    team.focus()
    team.press_sequentially("op", delay=20)
    expect(page.locator("#id_team-ts-dropdown .option")).to_have_count(1)  # typing filtered the three teams
    page.keyboard.press("Enter")
    expect(page.locator("#id_team-ts-control").locator("xpath=..").locator(".item")).to_have_text(["Ops×"])
    page.wait_for_url("**team=ops**")
    expect(page.locator("#change-table tbody tr")).to_have_count(1)
    team.press_sequentially("we", delay=20)
    expect(page.locator("#id_team-ts-dropdown .option")).to_have_text(["Web"])
    page.keyboard.press("Enter")
    page.wait_for_url("**team=web**")
    expect(page.locator("#change-table tbody tr")).to_have_count(2)
    _shot(page, "pickers-change-list")

    page.keyboard.press("Backspace")  # the empty search box: the last chip (Web) goes
    page.wait_for_url(lambda url: "team=web" not in url and "team=ops" in url)
    expect(page.locator("#change-table tbody tr")).to_contain_text(["Ops kernel patch"])
    chips = page.locator(".active-filters .filter-chip")
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("Team: Ops")

    # The active-filter chip's ×, by keyboard: the filter goes from the picker, the URL and the results.
    page.get_by_role("link", name="Remove filter Team: Ops").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "team=" not in url.split("?", 1)[-1] or "team=&" in url or url.endswith("team="))
    expect(page.locator(".active-filters")).to_have_count(0)
    expect(page.locator("#id_team-ts-control").locator("xpath=..").locator(".item")).to_have_count(0)
    expect(page.locator("#change-table tbody tr")).to_have_count(2)
    _clean(page, errors)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_chips_and_the_native_multi_select_work_without_javascript(browser_page, browser_login):
    user, _services = _seed()
    browser_login(browser_page, user)
    context = browser_page.context.browser.new_context(
        base_url=browser_page.url.split("/", 3)[0] + "//" + browser_page.url.split("/", 3)[2],
        java_script_enabled=False,
        storage_state=browser_page.context.storage_state(),
    )
    page = context.new_page()
    page.goto("/changes/?team=ops&team=web&kind=patch")
    assert page.locator("select#id_team[multiple]").is_visible()  # no picker: the plain control
    with page.expect_navigation():
        page.get_by_role("link", name="Remove filter Team: Web").click()
    assert "team=ops" in page.url and "team=web" not in page.url and "kind=patch" in page.url
    page.select_option("#id_team", ["web", "database"])
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**team=web**")
    assert "team=database" in page.url and "team=ops" not in page.url

    # The unplanned filter is a plain choice, and its chip a plain link too.
    page.select_option("#id_is_unplanned", "true")
    with page.expect_navigation():
        page.get_by_role("button", name="Filter").click()
    assert "is_unplanned=true" in page.url
    with page.expect_navigation():
        page.get_by_role("link", name="Remove filter Unplanned: Yes").click()
    assert "is_unplanned=true" not in page.url and "team=web" in page.url

    # The incident form's services: the native list, with the native list's hint.
    page.goto("/incidents/new/")
    assert page.locator("select#id_services[multiple]").is_visible()
    assert page.locator(".help-native").is_visible() and not page.locator(".help-picker").is_visible()
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_save_a_calendar_view_and_reopen_it_from_its_url(browser_page, browser_login):
    user, _services = _seed()
    page = browser_page
    errors = _open_wide(page, browser_login, user, "/calendar/?view=week")

    environment_input = page.locator("#id_environment-ts-control")
    environment_input.focus()
    environment_input.press_sequentially("prod", delay=20)
    page.keyboard.press("Enter")
    page.wait_for_url("**environment=prod**")
    page.keyboard.press("Escape")
    name = page.get_by_label("Name of the new view")
    name.focus()
    name.press_sequentially("Production this week", delay=10)
    page.keyboard.press("Enter")
    page.wait_for_url("**/calendar/?**")
    expect(page.locator(".messages")).to_contain_text("Saved the view “Production this week”")
    view = SavedView.objects.get(user=user)
    # The live URL (htmx pushed the filter), without the date: "this week" stays this week.
    assert parse_qs(view.query) == {"view": ["week"], "environment": ["prod"]}
    link = page.locator(".saved-views").get_by_role("link", name="Production this week")
    expect(link).to_be_visible()
    _shot(page, "pickers-saved-view")

    # The shareable URL, opened cold: the same filter, chosen in the picker and shown as a chip.
    page.goto(view.get_absolute_url())
    expect(page.locator(".active-filters")).to_contain_text("Environment: Production")
    items = page.locator("#id_environment-ts-control").locator("xpath=..").locator(".item")
    expect(items).to_have_count(1)
    expect(page.locator("#calendar")).to_contain_text("Ops kernel patch")
    expect(page.locator("#calendar .ev", has_text="Web release")).to_have_count(0)

    page.goto("/profile/")
    expect(page.locator("#saved-views")).to_contain_text("Production this week")
    page.get_by_role("button", name="Delete the saved view Production this week").click()
    expect(page.locator("#saved-views")).to_contain_text("No saved views yet")
    assert not SavedView.objects.exists()
    _clean(page, errors)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_change_form_services_picker_by_keyboard_submits_the_chosen_services(browser_page, browser_login):
    user, _services = _seed()
    page = browser_page
    errors = _open_wide(page, browser_login, user, "/changes/new/")
    expect(page.locator(".help-native")).to_be_hidden()
    expect(page.locator(".help-picker")).to_be_visible()

    services = page.locator("#id_services-ts-control")
    services.focus()
    services.press_sequentially("svc-04", delay=20)
    options = page.locator("#id_services-ts-dropdown .option")
    expect(options).to_have_count(10)  # svc-040 … svc-049 of 120
    page.keyboard.press("Enter")
    _pick(page, services, "svc-117", "svc-002")
    chosen = page.locator("#id_services-ts-control").locator("xpath=..").locator(".item")
    expect(chosen).to_have_count(3)
    page.keyboard.press("Backspace")
    expect(chosen).to_have_count(2)
    page.keyboard.press("Escape")
    _shot(page, "pickers-change-form")

    start = (timezone.localtime() + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    page.fill("#id_title", "Rotate service certificates")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**/changes/*/")
    change = Change.objects.get(title="Rotate service certificates")
    assert sorted(change.services.values_list("name", flat=True)) == ["svc-040", "svc-117"]
    _clean(page, errors)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_type_and_unplanned_filters_with_their_chips(browser_page, browser_login):
    user, _services = _seed()
    start = timezone.now() - timedelta(hours=2)
    ChangeFactory(
        title="Restarted nginx",
        change_type="emergency",
        is_unplanned=True,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
    )
    page = browser_page
    errors = _open_wide(page, browser_login, user, "/changes/")
    expect(page.locator("#change-table tbody tr")).to_have_count(3)

    change_type = page.locator("#id_change_type-ts-control")
    change_type.focus()
    change_type.press_sequentially("emer", delay=20)
    expect(page.locator("#id_change_type-ts-dropdown .option")).to_have_text(["Emergency"])
    page.keyboard.press("Enter")
    page.wait_for_url("**change_type=emergency**")
    expect(page.locator("#change-table tbody tr")).to_have_count(1)
    page.keyboard.press("Escape")
    page.select_option("#id_is_unplanned", "false")
    page.wait_for_url("**is_unplanned=false**")
    expect(page.locator("#change-table")).to_contain_text("No changes match these filters.")
    chips = page.locator(".active-filters .filter-chip")
    expect(chips).to_have_count(2)
    expect(chips).to_have_text([re.compile(r"Type:\s+Emergency"), re.compile(r"Unplanned:\s+No")])
    _shot(page, "filters-type-unplanned")

    # The chip's ×, by keyboard: the select goes back to "Any" and the results follow.
    page.get_by_role("link", name="Remove filter Unplanned: No").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "is_unplanned=false" not in url)
    expect(page.locator("#id_is_unplanned")).to_have_value("")
    expect(chips).to_have_count(1)
    expect(page.locator("#change-table tbody tr")).to_contain_text(["Restarted nginx"])
    _clean(page, errors)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_incident_form_services_picker_by_keyboard_opens_the_incident_on_them(browser_page, browser_login):
    user, _services = _seed()
    page = browser_page
    errors = _open_wide(page, browser_login, user, "/incidents/new/")
    expect(page.locator(".help-native")).to_be_hidden()
    expect(page.locator(".help-picker")).to_be_visible()
    page.fill("#id_title", "Checkout errors")
    page.fill("#id_started_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    services = page.locator("#id_services-ts-control")
    # The text box people type in is described by the field's help, as the native list was.
    expect(services).to_have_attribute("aria-describedby", "id_services_helptext")

    services.focus()
    services.press_sequentially("svc-11", delay=20)
    expect(page.locator("#id_services-ts-dropdown .option")).to_have_count(10)  # svc-110 … svc-119 of 120
    page.keyboard.press("Enter")
    _pick(page, services, "svc-007")
    expect(services.locator("xpath=..").locator(".item")).to_have_count(2)
    page.keyboard.press("Escape")
    _shot(page, "pickers-incident-form")
    # The host picker's controls fit the narrow "Where" card (a 420 px grid column used to stick out of it).
    card = page.locator("section.card", has=page.locator("#host-picker")).bounding_box()
    for control in ("#host-group", "#id_hosts_paste", "#id_services + .ts-wrapper"):
        box = page.locator(control).bounding_box()
        assert box["x"] + box["width"] <= card["x"] + card["width"], control

    # Straight from the picker to the button below it: the picker losing focus must not move the button away
    # between the press and the release (a click that lands beside it submits nothing).
    with page.expect_navigation():
        page.get_by_role("button", name="Open the incident").click()
    incident = Incident.objects.get(title="Checkout errors")
    assert page.url.endswith(incident.get_absolute_url())
    assert sorted(incident.services.values_list("name", flat=True)) == ["svc-007", "svc-110"]
    _clean(page, errors)
