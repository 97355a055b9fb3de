"""The metrics page in a real browser: no policy violation, the charts follow dark mode and print in grey."""

import pytest

from apps.accounts.models import UserProfile
from tests.metrics.conftest import PERIOD
from tests.security.test_hardening_browser import violations, watch

QUERY = "&".join(f"{key}={value}" for key, value in PERIOD.items())
BAR_FILL = "() => getComputedStyle(document.querySelector('.metrics-bar')).fill"
AXIS_TEXT = "() => getComputedStyle(document.querySelector('.metrics-chart')).color"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_metrics_page_in_light_dark_and_print(browser_page, browser_login, history, requester):
    UserProfile.objects.update_or_create(user=requester, defaults={"time_zone": "Europe/Berlin"})
    page = browser_page
    problems = watch(page)
    browser_login(page, requester)
    page.emulate_media(color_scheme="light")
    page.goto(f"/metrics/?{QUERY}")
    assert page.locator("#fail-rate").inner_text() == "4 of 8, 50%"
    assert page.locator("svg.metrics-chart").count() >= 12
    assert page.locator("svg.metrics-chart").first.is_visible()
    light_bar, light_text = page.evaluate(BAR_FILL), page.evaluate(AXIS_TEXT)
    page.emulate_media(color_scheme="dark")
    dark_bar, dark_text = page.evaluate(BAR_FILL), page.evaluate(AXIS_TEXT)
    assert (dark_bar, dark_text) != (light_bar, light_text)  # the theme's variables reach the charts
    page.emulate_media(media="print", color_scheme="light")
    assert page.evaluate(BAR_FILL) == "rgb(68, 68, 68)"
    assert page.evaluate(AXIS_TEXT) == "rgb(0, 0, 0)"
    assert violations(page) == [] and problems == []
