import csv
import io

import pytest
from django.urls import reverse

from apps.accounts.models import UserProfile
from apps.schedule.export import safe_cell
from tests.factories import ChangeHostFactory, HostFactory, ServiceFactory, environment
from tests.schedule.conftest import HTMX, make_change, utc

URL = reverse("schedule:change_export")


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_safe_cell_neutralises_formulas(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.django_db
def test_export_needs_a_login(client):
    assert client.get(URL).status_code == 302


@pytest.mark.django_db
def test_export_respects_the_list_filters(login, viewer):
    web = HostFactory(hostname="web01")
    billing = ServiceFactory(name="billing-web")
    release = make_change(utc(2026, 11, 18, 20), utc(2026, 11, 18, 22), title="Billing release", kind="release")
    ChangeHostFactory(change=release, host=web)
    release.services.add(billing)
    make_change(
        utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="QA patch", kind="patch", environment=environment("qa")
    )
    make_change(utc(2026, 11, 19, 9), utc(2026, 11, 19, 10), title="=cmd|' /C calc'!A0", kind="patch")
    client = login(viewer)

    everything = rows(client.get(URL))
    assert [row["Title"] for row in everything] == ["'=cmd|' /C calc'!A0", "Billing release", "QA patch"]
    [only] = rows(client.get(URL, {"kind": "release", "environment": "prod"}))
    assert only["Reference"] == f"CHG-{release.pk}"
    assert (only["Hosts"], only["Services"], only["Environment"]) == ("web01", "billing-web", "Production")
    assert only["Start"] == "2026-11-18T20:00+00:00"
    assert only["URL"].endswith(f"/changes/{release.pk}/")
    assert [row["Title"] for row in rows(client.get(URL, {"host": "web01"}))] == ["Billing release"]
    assert [row["Title"] for row in rows(client.get(URL, {"q": "QA"}))] == ["QA patch"]
    assert client.get(URL, {"kind": "volcano"}).status_code == 400


@pytest.mark.django_db
def test_export_times_are_in_the_users_zone(login, paris_viewer):
    make_change(utc(2026, 7, 1, 10), utc(2026, 7, 1, 11), title="summer")
    [row] = rows(login(paris_viewer).get(URL))
    assert row["Start"] == "2026-07-01T12:00+02:00"
    assert UserProfile.objects.get(user=paris_viewer).time_zone == "Europe/Paris"


@pytest.mark.django_db
def test_export_button_redirects_htmx_to_the_file_with_the_live_filters(login, viewer):
    response = login(viewer).get(URL, {"kind": "patch", "q": "", "environment": "prod"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{URL}?environment=prod&kind=patch"  # empty values dropped


@pytest.mark.django_db
def test_change_list_has_an_export_link(login, viewer):
    body = login(viewer).get(reverse("changes:change_list"), {"kind": "patch"}).content.decode()
    assert f'href="{URL}?kind=patch"' in body
    assert 'hx-include="form.filters"' in body
