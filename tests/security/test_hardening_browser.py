"""The pages work in a real browser under the Content-Security-Policy: anything the policy blocks (an inline
script or style, eval, a foreign image) fires a securitypolicyviolation event, which fails these tests."""

import pytest
from playwright.sync_api import expect

from apps.changes.choices import ChangeStatus, HostExecutionState
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, MembershipFactory, TeamFactory, UserFactory

# Registered before any page script runs (Playwright injects it outside the page's policy).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


def watch(page) -> list[str]:
    """Collects policy violations and console errors of every page the test opens."""
    problems: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)

    def on_console(message):
        # The browser's own /favicon.ico probe 404s on every site without one; it is not a page error.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_portal_pages_and_htmx_run_without_policy_violations(browser_page, browser_login, eager_tasks):
    team = TeamFactory(name="Ops", slug="ops")
    user = UserFactory(username="olga", is_staff=True, is_superuser=True)
    MembershipFactory(team=team, user=user, is_lead=True)
    change = ChangeFactory(title="Kernel patch", team=team, requester=user, status=ChangeStatus.IN_PROGRESS)
    ChangeHostFactory(change=change, host=HostFactory(hostname="db01"), state=HostExecutionState.APPLIED)
    ChangeHostFactory(change=change, host=HostFactory(hostname="db02"))
    page = browser_page
    problems = watch(page)

    page.goto("/login/")
    assert violations(page) == []
    browser_login(page, user)

    page.goto("/changes/")
    page.fill("input[name=q]", "Kernel")
    expect(page.locator("main")).to_contain_text("Kernel patch")
    assert violations(page) == []

    page.goto(f"/changes/{change.pk}/")
    # The progress bar's widths come from data-width through static/js/portal.js, not from style attributes.
    page.wait_for_function("document.querySelector('.progress .applied').style.width !== ''")
    share = page.locator(".progress .applied").evaluate(
        "span => span.getBoundingClientRect().width / span.parentElement.getBoundingClientRect().width"
    )
    assert abs(share - 0.5) < 0.02, share  # applied on 1 of 2 hosts
    assert violations(page) == []

    page.goto("/changes/new/")
    page.select_option("#id_kind", "config")
    expect(page.locator("#kind-guidance")).to_contain_text("Name each file")
    assert violations(page) == []

    for view in ("week", "month", "day", "timeline"):
        page.goto(f"/calendar/?view={view}")
        assert violations(page) == [], view

    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    assert violations(page) == []
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_swagger_ui_renders_under_the_policy(browser_page, browser_login, eager_tasks):
    user = UserFactory(username="reader")
    page = browser_page
    problems = watch(page)
    browser_login(page, user)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ChangePortal API")
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations(page) == []
    assert problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_violation_would_be_caught(browser_page, eager_tasks):
    """The harness itself: an inline style added by a page script is blocked and recorded."""
    page = browser_page
    watch(page)
    page.goto("/login/")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("style-src" in violation for violation in violations(page))
