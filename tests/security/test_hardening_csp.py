"""The Content-Security-Policy header, and pages that comply with it: no inline script, handler or style.

The policy forbids inline code, so a template that slips an ``onclick=`` or a ``<script>`` block back in
breaks the page in the browser silently; these tests make it fail here instead.
"""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.changes.choices import ChangeStatus
from apps.incidents.models import Incident
from tests.factories import ChangeFactory, ChangeHostFactory, HostFactory, UserFactory

CSP = "Content-Security-Policy"
EXPECTED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parsed = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        parsed[name] = value.strip()
    return parsed


def nonce_of(header: str) -> str:
    found = re.search(r"'nonce-([^']+)'", directives(header).get("script-src", ""))
    return found.group(1) if found else ""


class InlineCodeFinder(HTMLParser):
    """Collects everything in a page the policy would block (unless it carries the response's nonce)."""

    def __init__(self, nonce: str = ""):
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        nonced = bool(self.nonce) and attributes.get("nonce") == self.nonce
        if tag == "script" and not attributes.get("src") and not nonced:
            self.problems.append(f"inline <script> {attrs}")
        if tag == "style" and not nonced:
            self.problems.append("inline <style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> handler")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name.startswith("hx-on"):
                self.problems.append(f"<{tag} {name}> (htmx evaluates it)")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def inline_code(response) -> list[str]:
    finder = InlineCodeFinder(nonce_of(response.get(CSP, "")))
    finder.feed(response.content.decode())
    return finder.problems


@pytest.fixture
def world(team, requester, lead):
    host = HostFactory(hostname="web01")
    change = ChangeFactory(team=team, requester=requester, status=ChangeStatus.SUBMITTED)
    ChangeHostFactory(change=change, host=host)
    incident = Incident.objects.create(title="Checkout 500s", started_at=timezone.now() - timedelta(hours=1))
    return {"host": host, "change": change, "incident": incident}


def main_pages(world) -> list[str]:
    change, host = world["change"], world["host"]
    calendar = reverse("schedule:calendar")
    return [
        reverse("dashboard:home"),
        reverse("changes:change_list"),
        reverse("changes:change_detail", args=[change.pk]),
        reverse("changes:change_create"),
        reverse("changes:change_edit", args=[change.pk]),
        f"{calendar}?view=week",
        f"{calendar}?view=month",
        f"{calendar}?view=day",
        f"{calendar}?view=timeline",
        reverse("approvals:inbox"),
        reverse("bridge:lookup"),
        reverse("bridge:host_suspects", args=[host.hostname]),
        reverse("incidents:incident_list"),
        reverse("incidents:incident_create"),
        reverse("incidents:incident_detail", args=[world["incident"].pk]),
        reverse("inventory:host_list"),
        reverse("inventory:host_detail", args=[host.hostname]),
        reverse("accounts:profile"),
        reverse("accounts:api_tokens"),
        reverse("accounts:team_list"),
    ]


def assert_policy(response):
    header = response.get(CSP)
    assert header, f"{response.request['PATH_INFO']} has no {CSP} header"
    found = directives(header)
    for name, value in EXPECTED_DIRECTIVES.items():
        assert found.get(name, "").startswith(value), (name, header)
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, header


@pytest.mark.django_db
def test_every_main_page_has_the_policy_and_no_inline_code(login, lead, world):
    client = login(lead)
    for url in main_pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response)
        assert "'nonce-" not in response[CSP], f"{url} printed a nonce it does not need"
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_htmx_fragments_have_no_inline_code_either(login, lead, world):
    client = login(lead)
    for url in (reverse("changes:change_list"), reverse("schedule:calendar") + "?view=month"):
        response = client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, url
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_login_and_admin_pages_have_the_policy(client, db):
    for url in (reverse("accounts:login"), "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response)
        assert inline_code(response) == [], url
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    for url in (
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        # Add forms with date-time, filter-horizontal and inline widgets (changes themselves are read-only there).
        "/admin/changes/freezewindow/add/",
        "/admin/approvals/approvalpolicy/add/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_policy(response)
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_page_header_shows_the_htmx_config_that_the_policy_needs(login, outsider):
    html = login(outsider).get(reverse("dashboard:home")).content.decode()
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html
    assert '"allowScriptTags": false' in html


@pytest.mark.django_db
def test_swagger_ui_inline_script_carries_the_nonce_of_its_own_header(login, outsider):
    client = login(outsider)
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    assert first.status_code == 200
    assert_policy(first)
    nonce = nonce_of(first[CSP])
    assert nonce and nonce != nonce_of(second[CSP]), "the nonce must be fresh for every response"
    assert f"'nonce-{nonce}'" in directives(first[CSP])["style-src"]
    html = first.content.decode()
    assert html.count(f'nonce="{nonce}"') == 2  # the init script and the page style
    assert "SwaggerUIBundle(" in html
    assert inline_code(first) == []


@pytest.mark.django_db
def test_json_answers_do_not_carry_the_html_policy(login, outsider):
    response = login(outsider).get("/api/v1/changes")
    assert response.status_code == 200
    assert CSP not in response


def test_the_finder_catches_what_the_policy_blocks():
    finder = InlineCodeFinder()
    finder.feed(
        '<script>alert(1)</script><a onclick="x()" href="javascript:y()">a</a><p style="color:red"></p>'
        '<div hx-on:click="z()"></div><style>p{}</style><script src="/static/ok.js"></script>'
    )
    assert len(finder.problems) == 6


@pytest.mark.django_db
def test_error_pages_have_the_policy_outside_debug(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_policy(response)


@pytest.mark.django_db
def test_report_only_mode_and_report_uri(client, settings):
    settings.CSP_REPORT_ONLY = True
    settings.CSP_REPORT_URI = "https://csp.example.com/report"
    response = client.get(reverse("accounts:login"))
    assert CSP not in response
    header = response["Content-Security-Policy-Report-Only"]
    assert directives(header)["report-uri"] == "https://csp.example.com/report"
    assert directives(header)["script-src"] == "'self'"
