"""The filter bar offers the filterset's type and unplanned filters, like the others: in the form, in the results,
and as chips removable one by one (the change list and the calendar share the bar)."""

import html as entities
import re

import pytest
from django.urls import reverse

from tests.factories import ChangeFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def changes(db):
    return {
        "planned": ChangeFactory(title="Planned normal", change_type="normal"),
        "emergency": ChangeFactory(title="Unplanned emergency", change_type="emergency", is_unplanned=True),
        "standard": ChangeFactory(title="Planned standard", change_type="standard"),
    }


def _titles(client, query) -> set[str]:
    response = client.get(reverse("changes:change_list"), query)
    assert response.status_code == 200
    return {change.title for change in response.context["page"].object_list}


def _chips(html: str) -> list[tuple[str, str]]:
    """(visible text, removal link) of every filter chip."""
    found = re.findall(r'<li class="filter-chip">(.*?)<a class="filter-chip-remove" href="([^"]*)"', html, re.DOTALL)
    return [
        (" ".join(re.sub(r"<[^>]+>", " ", text).split()).replace(" :", ":"), entities.unescape(href))
        for text, href in found
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["changes:change_list", "schedule:calendar"])
def test_the_bar_has_a_type_picker_and_an_unplanned_choice(page, login, outsider):
    html = login(outsider).get(reverse(page)).content.decode()
    type_select = re.search(r'<select name="change_type"[^>]*>(.*?)</select>', html, re.DOTALL)
    assert type_select and " multiple" in type_select.group(0).split(">", 1)[0]  # a picker, like kind and risk
    assert re.findall(r'<option value="(\w+)"', type_select.group(1)) == ["normal", "standard", "emergency"]
    assert '<label for="id_change_type">Type</label>' in html
    unplanned = re.search(r'<select name="is_unplanned" id="id_is_unplanned">(.*?)</select>', html, re.DOTALL)
    assert unplanned, "a single choice, not a picker"
    assert re.findall(r'<option value="(\w*)"[^>]*>(\w+)</option>', unplanned.group(1)) == [
        ("", "Any"),
        ("true", "Yes"),
        ("false", "No"),
    ]
    assert '<label for="id_is_unplanned">Unplanned</label>' in html


@pytest.mark.django_db
def test_the_list_filters_by_type_and_by_unplanned(login, outsider, changes):
    client = login(outsider)
    assert _titles(client, {"change_type": ["emergency", "standard"]}) == {"Unplanned emergency", "Planned standard"}
    assert _titles(client, {"is_unplanned": "true"}) == {"Unplanned emergency"}
    assert _titles(client, {"is_unplanned": "false"}) == {"Planned normal", "Planned standard"}
    assert _titles(client, {"is_unplanned": "True"}) == {"Unplanned emergency"}  # as the API spells it too
    assert _titles(client, {"is_unplanned": ""}) == set(_titles(client, {}))  # "Any"
    assert len(_titles(client, {})) == 3


@pytest.mark.django_db
def test_the_chosen_type_and_unplanned_show_as_removable_chips(login, outsider, changes):
    client = login(outsider)
    query = "change_type=emergency&change_type=standard&is_unplanned=true"
    html = client.get(f"{reverse('changes:change_list')}?{query}", **HTMX).content.decode()
    path = reverse("changes:change_list")
    assert _chips(html) == [
        ("Type: Emergency", f"{path}?change_type=standard&is_unplanned=true"),
        ("Type: Standard (pre-approved)", f"{path}?change_type=emergency&is_unplanned=true"),
        ("Unplanned: Yes", f"{path}?change_type=emergency&change_type=standard"),
    ]
    assert 'data-chip-field="is_unplanned" data-chip-value="true"' in html  # pickers.js resets the select
    # The filtered page keeps the choices in the bar.
    page = client.get(f"{path}?{query}").content.decode()
    assert '<option value="true" selected>Yes</option>' in page
    assert re.search(r'<option value="emergency" selected>', page)


@pytest.mark.django_db
def test_any_makes_no_chip(login, outsider, changes):
    html = login(outsider).get(reverse("changes:change_list"), {"is_unplanned": "", "change_type": ""}).content
    assert _chips(html.decode()) == []
    assert b'<option value="" selected>Any</option>' in html
