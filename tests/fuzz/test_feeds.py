"""The ICS and Atom feeds and the CSV export with hostile text: the output parses back, ICS lines are folded at 75
octets, and the text reads back as entered (modulo the normalisation documented in apps/schedule/feeds.py)."""

import csv
import io
import re

import feedparser
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from icalendar import Calendar

from apps.accounts.services import regenerate_feed_token
from apps.schedule.export import safe_cell
from apps.schedule.feeds import ical_text
from tests.factories import ChangeFactory, FreezeWindowFactory, environment
from tests.fuzz.strategies import FUZZ_FEEDS, odd_text, rolled_back

ICS = reverse("schedule:feed_ics")
ATOM = reverse("schedule:feed_atom")
EXPORT = reverse("schedule:change_export")
# NUL cannot be stored (PostgreSQL refuses it; the forms and the API turn it away), so it never reaches a feed.
storable = odd_text.map(lambda text: text.replace("\x00", ""))
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


@pytest.fixture
def feed_token(requester):
    return regenerate_feed_token(user=requester)


def _ics_lines(content: bytes) -> list[bytes]:
    assert content.endswith(b"\r\n")
    return content[:-2].split(b"\r\n")


@pytest.mark.django_db
@FUZZ_FEEDS
@given(title=storable.map(lambda text: text[:200]), summary=storable, artifact=storable.map(lambda text: text[:200]))
def test_ics_feed_folds_escapes_and_round_trips_odd_text(feed_token, title, summary, artifact):
    with rolled_back():
        change = ChangeFactory(title=title, summary=summary, artifact=artifact)
        response = Client().get(ICS, {"token": feed_token})
        assert response.status_code == 200
        for line in _ics_lines(response.content):
            assert len(line) <= 75, line
            line.decode("utf-8")  # folding never splits a character
            assert b"\r" not in line and b"\n" not in line

        calendar = Calendar.from_ical(response.content)
        assert not calendar.errors
        [event] = [item for item in calendar.walk("VEVENT") if str(item["UID"]).startswith(f"change-{change.pk}@")]
        assert not event.errors
        assert str(event["SUMMARY"]) == f"{change.reference} [Production] {ical_text(title)}"
        description = str(event["DESCRIPTION"])
        if summary.strip():
            assert f"\n\n{ical_text(summary)}\n\n" in description
        if artifact:
            assert f"Artifact: {ical_text(artifact)}\n" in description


@pytest.mark.django_db
@FUZZ_FEEDS
@given(name=storable.map(lambda text: text[:200]), reason=storable)
def test_ics_freeze_windows_round_trip_odd_text(feed_token, name, reason):
    with rolled_back():
        window = FreezeWindowFactory(name=name or "x", reason=reason)
        window.environments.add(environment("prod"))
        response = Client().get(ICS, {"token": feed_token})
        assert all(len(line) <= 75 for line in _ics_lines(response.content))
        events = Calendar.from_ical(response.content).walk("VEVENT")
        [event] = [item for item in events if str(item["UID"]).startswith(f"freeze-{window.pk}-")]
        assert str(event["SUMMARY"]) == f"Change freeze: {ical_text(name or 'x')}"
        if reason:
            assert str(event["DESCRIPTION"]).endswith(f"\n\n{ical_text(reason)}")


@pytest.mark.django_db
@FUZZ_FEEDS
@given(title=storable.map(lambda text: text[:200]), summary=storable)
def test_atom_feed_is_well_formed_with_odd_text(feed_token, title, summary):
    with rolled_back():
        change = ChangeFactory(title=title, summary=summary)
        response = Client().get(ATOM, {"token": feed_token})
        assert response.status_code == 200
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.get("bozo_exception")
        [entry] = [item for item in feed.entries if item.link.endswith(f"/changes/{change.pk}/")]
        # XML 1.0 cannot carry C0 control characters: the feed leaves them out rather than failing.
        expected = f"{change.reference} [Production] {XML_FORBIDDEN.sub('', title)} (Draft)"
        assert entry.title == expected.replace("\r\n", "\n").replace("\r", "\n")
        body = response.content.decode()
        assert "<script>" not in body and "<img src=x" not in body


@pytest.mark.django_db
@FUZZ_FEEDS
@given(title=storable.map(lambda text: text[:200]), artifact=storable.map(lambda text: text[:200]))
def test_csv_export_round_trips_and_neutralises_formulas(login, requester, title, artifact):
    with rolled_back():
        change = ChangeFactory(title=title, artifact=artifact)
        response = login(requester).get(EXPORT, {"q": ""})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
        rows = {row["Reference"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
        row = rows[change.reference]
        assert row["Title"] == safe_cell(title) and row["Artifact"] == safe_cell(artifact)
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
