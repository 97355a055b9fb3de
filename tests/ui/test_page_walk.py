"""Every main page, on a phone (390 px) and a desktop (1400 px), in light and dark: no sideways scrolling, no
console errors, no CSP violations, no serious or critical axe-core violations, 40 px tap targets on the phone.
Keyboard: "/" reaches the host search, the phone's menu opens and closes by keyboard, focus is visible.

Screenshots of each page at both widths in both schemes land in /tmp/shots/ (light-390-dashboard.png, ...).
"""

import re

import pytest
from django.urls import Resolver404, resolve, reverse

from apps.changes.models import Change
from apps.dashboard.demo.next_steps import OPEN_INCIDENT_TITLE
from apps.dashboard.demo.story import RELEASE_TITLE
from apps.incidents.models import Incident
from apps.inventory.models import Host
from tests.ui.conftest import SHOTS, log_in

PHONE, DESKTOP = 390, 1400
SERIOUS = ("serious", "critical")

AXE_RUN = """async (rules) => {
  const options = {resultTypes: ["violations"]};
  if (rules) { options.runOnly = {type: "rule", values: rules}; }
  const result = await axe.run(document, options);
  return result.violations.filter(v => ["serious", "critical"].includes(v.impact)).map(v =>
    `${v.impact} ${v.id}: ${v.help} at ${v.nodes.slice(0, 4).map(n => n.target.join(" ")).join(" | ")}` +
    (v.nodes.length > 4 ? ` (+${v.nodes.length - 4} more)` : ""));
}"""

# What sticks out past the right edge, to name in the failure.
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) { return []; }
  const limit = root.clientWidth;
  // Clipped by a scrolling ancestor, unless positioned out of it (an absolute element escapes a static scroller).
  const clipped = el => {
    if (["absolute", "fixed"].includes(getComputedStyle(el).position)) { return false; }
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") { return true; }
    }
    return false;
  };
  const wide = new Set(Array.from(document.querySelectorAll("body *")).filter(el =>
    el.getBoundingClientRect().right > limit + 1 && !clipped(el)));
  const classes = el => typeof el.className === "string" && el.className.trim() ?
    "." + el.className.trim().split(/\\s+/).join(".") : "";
  const describe = el => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes(el)}` +
    ` (right edge ${Math.round(el.getBoundingClientRect().right)} > ${limit})`;
  return Array.from(wide).filter(el => !wide.has(el.parentElement)).slice(0, 5).map(describe)
    .concat([`page ${root.scrollWidth} px wide in a ${limit} px window`]);
}"""

# Buttons, navigation links and form controls a finger must hit: at least 40 px tall (WCAG 2.5.8 asks 24).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    "button, .btn, .topnav a, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, textarea"))
  .map(el => el.closest(".ts-control") || el)  // a picker's text box: the tap target is the whole control
  .filter(el => { const box = el.getBoundingClientRect(); return box.width > 0 && box.height > 0 && box.height < 39.5 &&
    getComputedStyle(el).visibility !== "hidden" && !el.closest(".sr-only, [hidden]"); })
  .slice(0, 6).map(el => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim().slice(0, 30);
    const height = Math.round(el.getBoundingClientRect().height);
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${text}" ${height} px`;
  })
"""


def main_pages() -> list[tuple[str, str]]:
    release = Change.objects.get(title=RELEASE_TITLE)
    incident = Incident.objects.get(title=OPEN_INCIDENT_TITLE)
    host = Host.objects.filter(hostname__startswith="prod-app").order_by("hostname").first()
    calendar = reverse("schedule:calendar")
    pages = [
        ("dashboard", reverse("dashboard:home")),
        ("host-lookup", f"{reverse('bridge:lookup')}?host={host.hostname}"),
        ("bridge", incident.get_absolute_url()),
        ("inbox", reverse("approvals:inbox")),
        ("change", release.get_absolute_url()),
        ("calendar-week", f"{calendar}?view=week"),
        ("calendar-month", f"{calendar}?view=month"),
        ("calendar-timeline", f"{calendar}?view=timeline"),
        ("change-list", reverse("changes:change_list")),
        ("change-form", reverse("changes:change_create")),
        ("incident-list", reverse("incidents:incident_list")),
        ("incident-form", reverse("incidents:incident_create")),
        ("host-detail", reverse("inventory:host_detail", args=[host.hostname])),
        ("host-list", reverse("inventory:host_list")),
        ("profile", reverse("accounts:profile")),
        ("integrations", reverse("ingest:integration_keys")),
    ]
    try:  # the metrics page comes with its own app; walked once it exists
        resolve("/metrics/")
        pages.append(("metrics", "/metrics/"))
    except Resolver404:
        pass
    return pages


def problems_on(page, log, *, name: str, width: int, scheme: str) -> list[str]:
    where = f"{name} at {width} px ({scheme})"
    found = [f"{where}: {error}" for error in log.take()]
    found += [f"{where}: CSP {v}" for v in page.evaluate("() => window.__cspViolations || []")]
    found += [f"{where}: overflow: {item}" for item in page.evaluate(OVERFLOW)]
    # Every rule in light; in dark only the colours change, so contrast is what is checked again.
    rules = None if scheme == "light" else ["color-contrast"]
    found += [f"{where}: axe {item}" for item in page.evaluate(AXE_RUN, rules)]
    if width == PHONE:
        found += [f"{where}: small target {item}" for item in page.evaluate(SMALL_TARGETS)]
    return found


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_main_page_passes_at_phone_and_desktop_width_in_light_and_dark(walker, demo_lead):
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = main_pages()
    problems = []
    for width in (PHONE, DESKTOP):
        page, log = walker(width)
        log_in(page, demo_lead)
        log.take()
        for name, url in pages:
            page.emulate_media(color_scheme="light")
            response = page.goto(url)
            if response is None or response.status != 200:
                problems.append(f"{name}: {url} answered {response.status if response else 'nothing'}")
                continue
            # One load, both schemes: the page follows prefers-color-scheme as soon as the emulation changes.
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                problems += problems_on(page, log, name=name, width=width, scheme=scheme)
                # The whole page in light; the first screen in dark (the colours, at half the cost).
                page.screenshot(path=str(SHOTS / f"{scheme}-{width}-{name}.png"), full_page=scheme == "light")
    assert not problems, "\n".join(problems)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_menu_focus_and_the_theme_choice(walker, demo_lead):
    page, log = walker(PHONE)
    log_in(page, demo_lead)
    page.goto(reverse("dashboard:home"))

    # "/" jumps to the host search, but typing "/" into a field stays typing.
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "nav-host-search"
    page.keyboard.type("prod/app")
    assert page.input_value("#nav-host-search") == "prod/app"

    # The menu: collapsed at 390 px, opened with Enter, closed with Escape (focus back on the button).
    toggle = page.locator(".nav-toggle")
    links = page.locator("nav[aria-label=Main] a").first
    assert toggle.get_attribute("aria-expanded") == "false" and not links.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and links.is_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('#nav-panel') !== null")
    assert focused, "Tab from the open menu's button goes into the menu"
    # Focus is visible: a real outline (not 'none'), at least 2 px.
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert outline[0] != "none" and float(re.sub("px", "", outline[1])) >= 2, outline
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not links.is_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('nav-toggle')")
    assert not log.take()

    # The profile's colour scheme beats the device's: dark chosen, dark shown on a light device; print stays light.
    page.goto(reverse("accounts:profile"))
    page.select_option("#id_theme", "dark")
    # The submit is a navigation: wait for it to finish before reading the new page.
    with page.expect_navigation():
        page.locator("#id_theme").evaluate("select => select.form.requestSubmit()")
    page.wait_for_load_state()
    page.emulate_media(color_scheme="light")
    background = "() => getComputedStyle(document.body).backgroundColor"
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate(background) == "rgb(15, 20, 27)"
    page.emulate_media(media="print")
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    assert not log.take()

    # Without JavaScript the phone gets no Menu button: the links wrap below the brand, all reachable.
    bare, _ = walker(PHONE, javascript=False)
    log_in(bare, demo_lead)
    bare.goto(reverse("dashboard:home"))
    assert not bare.locator(".nav-toggle").is_visible()
    assert bare.locator("nav[aria-label=Main] a").count() >= 7
    assert all(link.is_visible() for link in bare.locator("nav[aria-label=Main] a").all())
    assert bare.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
