"""A refused form opens with one error summary, announced (role="alert") and with every field error a link to that
field, on the change form and the incident form (as on the profile page); the browser part checks that following
a link puts the keyboard in the field, also when a picker stands in for a <select>."""

import re

import pytest
from django.urls import reverse

from tests.factories import ServiceFactory, environment

SUMMARY = re.compile(r'<div class="error-summary" role="alert"[^>]*>(.*?)</div>', re.S)


def _summary_links(html: str) -> dict[str, str]:
    summaries = SUMMARY.findall(html)
    assert len(summaries) == 1, "exactly one error summary"
    return dict(re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summaries[0]))


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', html))


@pytest.mark.django_db
def test_the_change_forms_summary_links_every_refused_field(login, requester, team):
    response = login(requester).post(
        reverse("changes:change_create"),
        {
            "kind": "patch",
            "change_type": "normal",
            "title": "",
            "environment": environment("qa").pk,
            "team": team.pk,
            "planned_start": "2030-01-01T10:00",
            "planned_end": "2030-01-01T09:00",
            "risk": "low",
            "intent": "draft",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    links = _summary_links(html)
    assert set(links) == {"id_title", "id_planned_end"}, links
    assert links["id_title"].startswith("Title:")
    assert set(links) <= _ids(html), "each link names a field on the page"
    assert "Please correct 2 things below" in html


@pytest.mark.django_db
def test_the_incident_forms_summary_links_every_refused_field(login, outsider):
    response = login(outsider).post(
        reverse("incidents:incident_create"),
        {"title": "", "severity": "sev1", "started_at": "not a time", "window_hours": "72"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    links = _summary_links(html)
    assert {"id_title", "id_started_at"} <= set(links), links
    assert set(links) <= _ids(html)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_summary_link_puts_the_keyboard_in_its_field_or_its_picker(browser_page, browser_login, outsider):
    ServiceFactory(name="Billing")
    page = browser_page
    browser_login(page, outsider)
    page.goto(reverse("incidents:incident_create"))
    # A service deleted while the form was open: the picker sends an id the server no longer knows.
    page.evaluate(
        """() => { const select = document.getElementById("id_services");
                   select.add(new Option("Gone", "999999", true, true)); }"""
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Open the incident").click()
    summary = page.locator(".error-summary")
    assert summary.get_attribute("role") == "alert"

    summary.locator("a[href='#id_title']").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_title"

    # The <select> itself is hidden behind its picker (visually: it stays for screen readers): the link lands in
    # the picker's text box, where typing works.
    assert "ts-hidden-accessible" in page.get_attribute("#id_services", "class")
    summary.locator("a[href='#id_services']").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_services-ts-control"
