"""The browser page walk's fixtures: one Chromium per module, the demo seeded, axe-core and a CSP recorder in
every page.

axe-core (tests/vendor/axe-core, from npm) goes in as an init script: Playwright hands it to the page through the
DevTools protocol, so the portal's Content-Security-Policy (script-src 'self') neither blocks it nor needs a hole.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from apps.dashboard.demo import loader
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path("/tmp/shots")
DEFAULT_ENVIRONMENTS = import_module("apps.inventory.migrations.0002_default_environments")

# Runs before any page script: CSP violations are recorded where the test can read them.
RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline") +
    " (" + (event.sourceFile || "") + ":" + event.lineNumber + ")");
});
"""


@dataclass
class PageLog:
    """What a page said while the walk looked at it: console errors and uncaught exceptions."""

    errors: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def page_error(self, error) -> None:
        self.errors.append(f"uncaught: {error}")

    def take(self) -> list[str]:
        taken, self.errors = self.errors, []
        return taken


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    if not AXE.exists():
        pytest.skip(f"axe-core is not vendored at {AXE}")
    # Playwright's sync API runs an event loop in this thread for the whole module; the ORM calls of the tests and
    # of the fixtures after this one stay synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            if previous is None:
                os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
            else:
                os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def demo_lead(transactional_db):
    """The demo, seeded for this test (the live server needs committed rows; the flush after the test removes
    them); dana, a dev lead with decisions waiting, walks it with a known password."""
    # An earlier transactional test's flush also removed the environments a data migration creates.
    DEFAULT_ENVIRONMENTS.create_default_environments(django_apps, None)
    loader.load_demo()
    dana = get_user_model().objects.get(username="dana")
    dana.set_password(PASSWORD)
    dana.save(update_fields=["password"])
    return dana


@pytest.fixture
def walker(chromium, live_server):
    """``walker(width)`` → (page, log): a fresh context at that width with axe and the CSP recorder loaded."""
    contexts = []

    def _open(width: int, height: int = 900, javascript: bool = True) -> tuple[Page, PageLog]:
        context = chromium.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, java_script_enabled=javascript
        )
        context.add_init_script(script=RECORD_CSP)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log = PageLog()
        page.on("console", log.console)
        page.on("pageerror", log.page_error)
        return page, log

    yield _open
    for context in contexts:
        context.close()


def log_in(page: Page, user) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
