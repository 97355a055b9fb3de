"""The metrics page, its CSV files, the lists behind the figures and the definitions, as a signed-in user sees them."""

import csv
import io
import re

import pytest
from django.urls import reverse

from apps.accounts.models import UserProfile
from apps.incidents.models import Incident
from apps.metrics.tables import METRICS
from tests.metrics.conftest import PERIOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(login, requester):
    UserProfile.objects.update_or_create(user=requester, defaults={"time_zone": "Europe/Berlin"})
    return login(requester)


def test_signed_in_only(client, history):
    for url in (reverse("metrics:page"), reverse("metrics:csv", args=["change-fail-rate"]),
                reverse("metrics:list", args=["failing"]), reverse("metrics:definitions")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_page_shows_every_metric_with_its_counts(viewer, history):
    response = viewer.get(reverse("metrics:page"), PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "4 of 8, 50%" in html  # change fail rate
    assert "2 of 8, 25%" in html  # rework
    assert "4.0 a week" in html
    assert "3 of 4, 75%" in html and "0 of 3, 0%" in html  # teams
    assert "median 38.0 h" in html  # lead time
    assert "with no recovery recorded" in html
    for slug in METRICS:
        assert f"{reverse('metrics:definitions')}#{slug}" in html
        assert reverse("metrics:csv", args=[slug]) in html
    # The failing changes are one click away, with the same period and filters.
    assert (
        f"{reverse('metrics:list', args=['failing'])}?start=2026-03-02&amp;end=2026-03-15&amp;environment=prod" in html
    )


def test_the_page_draws_svg_without_inline_style(viewer, history):
    html = viewer.get(reverse("metrics:page"), PERIOD).content.decode()
    charts = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(charts) >= 12  # frequency, 2 lead, fail, recovery, rework, 5 plan, teams
    for chart in charts:
        assert 'role="img"' in chart and "<title" in chart
    assert "style=" not in html
    assert "<script>" not in html and " on" + "click=" not in html


def test_an_empty_period_says_no_data(viewer, history):
    html = viewer.get(reverse("metrics:page"), {"start": "2025-01-06", "end": "2025-01-19"}).content.decode()
    assert "No data:" in html
    assert re.search(r"(?<![\d.])0(\.0)?%", html) is None  # never "0%" for an empty period
    assert html.count("no data") >= 5


def test_bad_parameters_are_form_errors_on_the_page(viewer, history):
    response = viewer.get(reverse("metrics:page"), {"start": "2026-02-30", "team": "nobody"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid date." in html
    assert "Select a valid choice" in html
    assert "<svg" not in html


def test_csv_of_each_metric(viewer, history):
    response = viewer.get(reverse("metrics:csv", args=["change-fail-rate"]), PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["week", "partial", "failing", "deployments", "rate_percent"],
        ["2026-03-02", "no", "3", "4", "75.0"],
        ["2026-03-09", "no", "1", "4", "25.0"],
    ]
    empty = viewer.get(reverse("metrics:csv", args=["change-fail-rate"]), {"start": "2025-01-06", "end": "2025-01-12"})
    assert list(csv.reader(io.StringIO(empty.content.decode())))[1] == ["2025-01-06", "no", "0", "0", ""]
    teams = viewer.get(reverse("metrics:csv", args=["team-success"]), PERIOD).content.decode()
    assert "billing-dev,Billing dev,4,1,3,75.0" in teams
    for slug in METRICS:
        assert viewer.get(reverse("metrics:csv", args=[slug]), PERIOD).status_code == 200


def test_csv_bad_parameters_and_unknown_metric(viewer, history):
    response = viewer.get(reverse("metrics:csv", args=["change-fail-rate"]), {"end": "yesterday"})
    assert response.status_code == 400 and b"end" in response.content
    assert viewer.get(reverse("metrics:csv", args=["happiness"])).status_code == 404


def test_the_failing_list(viewer, history):
    response = viewer.get(reverse("metrics:list", args=["failing"]), PERIOD)
    assert response.status_code == 200
    listed = [change.title for change in response.context["page"]]
    assert listed == ["c12", "c4", "c3", "c2"]  # newest end first, each once


@pytest.mark.parametrize(
    ("name", "titles"),
    [
        ("unplanned", ["c5"]),
        ("unapproved", ["c11", "c3"]),
        ("outside_window", ["c4"]),
        ("extra_hosts", ["c6"]),
        ("hosts_missing", ["c6"]),
        ("rework", ["c3", "c2"]),
        ("releases", ["c6", "c4", "c1"]),
    ],
)
def test_each_list(viewer, history, name, titles):
    response = viewer.get(reverse("metrics:list", args=[name]), PERIOD)
    assert [change.title for change in response.context["page"]] == titles


def test_unknown_list_and_bad_list_parameters(viewer, history):
    assert viewer.get(reverse("metrics:list", args=["nonsense"])).status_code == 404
    assert viewer.get(reverse("metrics:list", args=["failing"]), {"kind": "bogus"}).status_code == 400


def test_definitions_have_an_anchor_per_figure(viewer):
    html = viewer.get(reverse("metrics:definitions")).content.decode()
    for slug in METRICS:
        assert f'id="{slug}"' in html


def test_nav_links_the_page(viewer):
    assert reverse("metrics:page") in viewer.get(reverse("dashboard:home")).content.decode()


def test_the_page_shows_the_ranking_accuracy(viewer, history):
    html = viewer.get(reverse("metrics:page"), PERIOD).content.decode()
    assert "How well the bridge ranks" in html
    assert f'href="{history.changes["c4"].get_absolute_url()}"' in html
    for title in ("i2", "i3", "i4"):
        assert Incident.objects.get(title=title).get_absolute_url() in html
