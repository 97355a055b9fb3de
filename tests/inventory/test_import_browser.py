"""The import page says it is working while a large import runs, and no second click sends it twice."""

import pytest
from playwright.sync_api import expect

from apps.inventory.models import Host
from tests.factories import UserFactory, environment


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_preview_shows_a_busy_status_and_disables_the_buttons(browser_page, browser_login, tmp_path):
    environment("prod")
    staff = UserFactory(username="inventory-admin", is_staff=True)
    source = tmp_path / "hosts.csv"
    source.write_text("hostname,environment\nweb01.prod,prod\nweb02.prod,prod\n")
    page = browser_page
    browser_login(page, staff)
    page.goto("/hosts/import/")
    page.set_input_files("input[name=source]", str(source))
    page.select_option("select[name=format]", "csv")

    # Keep the page where it is after the click (the form's own listener runs first), to look at it mid-submit.
    page.evaluate("document.querySelector('form[data-busy]').addEventListener('submit', (e) => e.preventDefault())")
    page.click("button[name=preview]")
    expect(page.locator("#import-busy")).to_be_visible()
    expect(page.locator("button[name=preview]")).to_be_disabled()

    page.goto("/hosts/import/")
    page.set_input_files("input[name=source]", str(source))
    page.select_option("select[name=format]", "csv")
    page.click("button[name=preview]")
    expect(page.locator("#import-report")).to_contain_text("Preview, nothing written yet")
    expect(page.locator("#import-busy")).to_be_hidden()
    assert not Host.objects.filter(hostname__in=["web01.prod", "web02.prod"]).exists()
