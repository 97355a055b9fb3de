"""Every <select multiple> on the change and incident forms is a native list (it works without JavaScript) whose
help says how to choose in it and in the picker pickers.js makes of it, and is linked to that help and its errors.

The browser side (the picker shown, the native hint hidden) is in test_pickers_browser.py.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import ServiceFactory

NATIVE_HINT = '<span class="help-native">Hold Ctrl/Cmd to pick several.</span>'
PICKER_HINT = '<span class="help-picker">Type to search, Enter to add; Backspace removes the last one.</span>'
FORMS = {
    "change": ("changes:change_create", "Every service this change can affect."),
    "incident": ("incidents:incident_create", "Affected services, if not every host is known."),
}


class _Controls(HTMLParser):
    """The attributes of every <select multiple> on a page, and every id the page holds."""

    def __init__(self):
        super().__init__()
        self.multi_selects: list[dict[str, str | None]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if named.get("id"):
            self.ids.add(named["id"])
        if tag == "select" and "multiple" in named:
            self.multi_selects.append(named)


def _controls(html: str) -> _Controls:
    parser = _Controls()
    parser.feed(html)
    return parser


def _help(html: str, field_id: str) -> str:
    match = re.search(rf'<div class="help" id="{field_id}_helptext">(.*?)</div>', html)
    assert match, f"no help block for {field_id}"
    return match.group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("form", sorted(FORMS))
def test_the_services_list_is_native_with_help_for_the_list_and_for_the_picker(form, login, requester):
    ServiceFactory(name="billing-web")
    url, what = FORMS[form]
    html = login(requester).get(reverse(url)).content.decode()
    controls = _controls(html)
    assert [select["name"] for select in controls.multi_selects] == ["services"]
    services = controls.multi_selects[0]
    assert "data-native" not in services  # pickers.js makes a picker of it
    assert services["aria-describedby"] == "id_services_helptext"
    assert _help(html, "id_services") == f"{what} {NATIVE_HINT}{PICKER_HINT}"
    # "Hold Ctrl/Cmd" only where pickers.css hides it once the picker is there.
    assert html.count("Ctrl/Cmd") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_refused_service_is_announced_with_the_field(form, login, requester):
    url, _what = FORMS[form]
    response = login(requester).post(reverse(url), {"title": "Bad service", "services": ["999999"]})
    html = response.content.decode()
    assert response.status_code == 400
    controls = _controls(html)
    services = next(select for select in controls.multi_selects if select["name"] == "services")
    assert services["aria-describedby"] == "id_services_helptext id_services_error"
    assert {"id_services_helptext", "id_services_error"} <= controls.ids
    assert re.search(r'<ul class="errorlist" id="id_services_error">.*999999', html, re.DOTALL)
