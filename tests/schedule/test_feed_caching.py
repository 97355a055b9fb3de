"""Conditional requests, HEAD and gzip on the ICS and Atom feeds: calendar clients poll them every few minutes."""

import gzip
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date
from icalendar import Calendar

from apps.accounts.services import regenerate_feed_token, revoke_feed_token
from apps.changes.models import Change
from apps.changes.services import update_change
from apps.platform.actors import Actor
from tests.clock import replay_at
from tests.factories import ChangeHostFactory, FreezeWindowFactory, HostFactory, environment
from tests.schedule.conftest import make_change

ICS = reverse("schedule:feed_ics")
ATOM = reverse("schedule:feed_atom")
FEEDS = pytest.mark.parametrize("url", [ICS, ATOM], ids=["ics", "atom"])
# A fixed clock in the middle of a UTC day, so a test never straddles midnight (the feeds' window moves then).
NOON = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with replay_at(NOON):
        yield NOON


@pytest.fixture
def token(viewer):
    return regenerate_feed_token(user=viewer)


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def release(clock):
    change = make_change(NOON + timedelta(days=1), NOON + timedelta(days=1, hours=2), title="Billing 2.4.0")
    ChangeHostFactory(change=change, host=HostFactory(hostname="web01"))
    return change


def later(seconds: int):
    return replay_at(NOON + timedelta(seconds=seconds))


def parse(url: str, content: bytes):
    if url == ICS:
        return Calendar.from_ical(content)
    feed = feedparser.parse(content)
    assert not feed.bozo
    return feed


@pytest.mark.django_db
@FEEDS
def test_a_matching_etag_gets_a_304_with_the_same_validators(anonymous, token, release, url):
    first = anonymous.get(url, {"token": token})
    assert first.status_code == 200
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('W/"') and etag.endswith('"')
    assert last_modified == http_date(NOON.timestamp())  # the change's `updated`
    assert "Accept-Encoding" in first["Vary"]

    again = anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Last-Modified"] == last_modified
    assert again["Cache-Control"] == first["Cache-Control"] == "private, max-age=300"
    assert "Accept-Encoding" in again["Vary"]
    # A list of tags, one of them current; or the strong form of the weak tag (If-None-Match compares weakly).
    assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag[2:]).status_code == 304
    assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH='W/"other"').status_code == 200


@pytest.mark.django_db
@FEEDS
def test_if_modified_since_not_older_than_the_content_gets_a_304(anonymous, token, release, url):
    last_modified = anonymous.get(url, {"token": token})["Last-Modified"]
    assert anonymous.get(url, {"token": token}, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    newer = http_date((NOON + timedelta(minutes=5)).timestamp())
    assert anonymous.get(url, {"token": token}, HTTP_IF_MODIFIED_SINCE=newer).status_code == 304
    older = http_date((NOON - timedelta(seconds=1)).timestamp())
    assert anonymous.get(url, {"token": token}, HTTP_IF_MODIFIED_SINCE=older).status_code == 200


@pytest.mark.django_db
@FEEDS
def test_an_edited_change_gets_a_200_again(anonymous, token, release, url):
    first = anonymous.get(url, {"token": token})
    etag, last_modified = first["ETag"], first["Last-Modified"]
    with later(10):
        update_change(change=release, actor=Actor.automatic("test"), fields={"title": "Billing 2.4.1"})
        by_etag = anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag)
        by_date = anonymous.get(url, {"token": token}, HTTP_IF_MODIFIED_SINCE=last_modified)
    for response in (by_etag, by_date):
        assert response.status_code == 200 and b"Billing 2.4.1" in response.content
        assert response["ETag"] != etag
        assert response["Last-Modified"] == http_date((NOON + timedelta(seconds=10)).timestamp())
    with later(20):
        assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=by_etag["ETag"]).status_code == 304


@pytest.mark.django_db
@FEEDS
def test_a_new_change_and_other_filters_change_the_etag(anonymous, token, release, url):
    etag = anonymous.get(url, {"token": token})["ETag"]
    patches = anonymous.get(url, {"token": token, "kind": "patch"})
    assert patches.status_code == 200 and patches["ETag"] != etag
    with later(10):
        make_change(NOON + timedelta(days=2), NOON + timedelta(days=2, hours=1), title="New patch", kind="patch")
        response = anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200 and b"New patch" in response.content
        assert (
            anonymous.get(url, {"token": token, "kind": "patch"}, HTTP_IF_NONE_MATCH=patches["ETag"]).status_code == 200
        )


@pytest.mark.django_db
@FEEDS
def test_a_deleted_change_changes_the_etag(anonymous, token, release, url):
    draft = make_change(NOON + timedelta(days=3), NOON + timedelta(days=3, hours=1), title="Typo draft")
    etag = anonymous.get(url, {"token": token})["ETag"]
    Change.objects.filter(pk=draft.pk).delete()
    response = anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and b"Typo draft" not in response.content


@pytest.mark.django_db
def test_an_edited_or_new_freeze_window_changes_the_ics_etag(anonymous, token, release):
    window = FreezeWindowFactory(name="Payroll freeze", start=NOON + timedelta(days=5), created=timezone.now())
    window.environments.add(environment("prod"))
    etag = anonymous.get(ICS, {"token": token})["ETag"]
    assert anonymous.get(ICS, {"token": token}, HTTP_IF_NONE_MATCH=etag).status_code == 304

    edits = [
        {"name": "Year-end freeze"},
        {"reason": "Auditors on site"},
        {"start": window.start + timedelta(hours=1), "end": window.end + timedelta(hours=1)},
        {"recurrence": "FREQ=WEEKLY"},
    ]
    for fields in edits:
        for name, value in fields.items():
            setattr(window, name, value)
        window.save()  # as the admin saves it: FreezeWindow has no `updated` to bump
        response = anonymous.get(ICS, {"token": token}, HTTP_IF_NONE_MATCH=etag)
        assert response.status_code == 200, fields
        etag = response["ETag"]
    window.environments.add(environment("qa"))
    response = anonymous.get(ICS, {"token": token}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    descriptions = {str(event["DESCRIPTION"]) for event in parse(ICS, response.content).walk("VEVENT")}
    assert any(text.startswith("Changes to QA, Production need") for text in descriptions)
    etag = response["ETag"]
    with later(10):
        another = FreezeWindowFactory(name="Another freeze", start=NOON + timedelta(days=9), created=timezone.now())
        another.environments.add(environment("prod"))
        response = anonymous.get(ICS, {"token": token}, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and b"Another freeze" in response.content
    assert response["Last-Modified"] == http_date((NOON + timedelta(seconds=10)).timestamp())


@pytest.mark.django_db
@FEEDS
def test_the_next_day_changes_the_validators(anonymous, token, release, url):
    """The ICS window moves once a day (its description names the dates); both feeds are re-issued daily."""
    first = anonymous.get(url, {"token": token})
    with replay_at(NOON + timedelta(days=1)):
        response = anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=first["ETag"])
        assert response.status_code == 200
        assert response["Last-Modified"] == http_date(datetime(2026, 11, 27, tzinfo=UTC).timestamp())
        assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    with replay_at(NOON + timedelta(hours=11, minutes=59)):  # still the same UTC day
        assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


@pytest.mark.django_db
@FEEDS
def test_the_token_users_time_zone_does_not_change_the_feed(anonymous, token, paris_viewer, release, url):
    """Both feeds are written in UTC, so the validators leave the zone out; this pins that they may."""
    paris = regenerate_feed_token(user=paris_viewer)
    here, there = anonymous.get(url, {"token": token}), anonymous.get(url, {"token": paris})
    assert here["ETag"] == there["ETag"] and here.content == there.content


@pytest.mark.django_db
@FEEDS
def test_head_has_the_headers_of_get_and_no_body(anonymous, token, release, url):
    get = anonymous.get(url, {"token": token})
    head = anonymous.head(url, {"token": token})
    assert head.status_code == 200 and head.content == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Cache-Control", "Vary", "X-Robots-Tag"):
        assert head[name] == get[name], name
    assert anonymous.head(url, {"token": token}, HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304
    assert anonymous.head(url, {"token": "not-the-token"}).status_code == 404
    assert anonymous.post(url, {"token": token}).status_code == 405


@pytest.mark.django_db
@FEEDS
def test_gzip_when_asked(anonymous, token, release, url):
    plain = anonymous.get(url, {"token": token})
    assert not plain.has_header("Content-Encoding")
    packed = anonymous.get(url, {"token": token}, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert packed.status_code == 200 and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert len(packed.content) < len(plain.content) and int(packed["Content-Length"]) == len(packed.content)
    body = gzip.decompress(packed.content)
    assert body == plain.content
    parsed = parse(url, body)
    if url == ICS:
        assert [str(event["SUMMARY"]) for event in parsed.walk("VEVENT")] == [
            f"CHG-{release.pk} [Production] Billing 2.4.0"
        ]
    else:
        assert [entry.title for entry in parsed.entries] == [f"CHG-{release.pk} [Production] Billing 2.4.0 (Draft)"]
    # One feed, two encodings: the same weak ETag, so either copy revalidates.
    assert packed["ETag"] == plain["ETag"]
    again = anonymous.get(url, {"token": token}, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=packed["ETag"])
    assert again.status_code == 304 and again.content == b""
    # The site's security headers are still there.
    assert packed["X-Content-Type-Options"] == "nosniff"
    assert packed["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_are_not_compressed(login, viewer):
    """Only the feeds are gzipped: the pages carry a CSRF token, which compression would expose to BREACH."""
    client = login(viewer)
    response = client.get(reverse("schedule:calendar"), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200 and not response.has_header("Content-Encoding")


@pytest.mark.django_db
@FEEDS
def test_a_wrong_or_revoked_token_is_never_a_304(anonymous, viewer, token, release, url):
    response = anonymous.get(url, {"token": token})
    conditional = {"HTTP_IF_NONE_MATCH": response["ETag"], "HTTP_IF_MODIFIED_SINCE": response["Last-Modified"]}
    assert anonymous.get(url, {"token": token}, **conditional).status_code == 304
    assert anonymous.get(url, {"token": "not-the-token"}, **conditional).status_code == 404
    assert anonymous.get(url, **conditional).status_code == 404
    assert anonymous.get(url, {"token": token, "kind": "volcano"}, **conditional).status_code == 400
    revoke_feed_token(user=viewer)
    for headers in (conditional, {"HTTP_IF_MODIFIED_SINCE": response["Last-Modified"]}):
        refused = anonymous.get(url, {"token": token}, **headers)
        assert refused.status_code == 404 and not refused.has_header("ETag")
        assert anonymous.head(url, {"token": token}, **headers).status_code == 404
    new_token = regenerate_feed_token(user=viewer)
    viewer.is_active = False
    viewer.save()
    assert anonymous.get(url, {"token": new_token}, **conditional).status_code == 404


@pytest.mark.django_db
@FEEDS
def test_a_304_costs_a_few_queries_however_many_changes(anonymous, token, clock, url):
    window = FreezeWindowFactory(start=NOON + timedelta(days=5), recurrence="FREQ=WEEKLY")
    window.environments.add(environment("prod"))

    def revalidate() -> int:
        etag = anonymous.get(url, {"token": token})["ETag"]
        with CaptureQueriesContext(connection) as queries:
            assert anonymous.get(url, {"token": token}, HTTP_IF_NONE_MATCH=etag).status_code == 304
        return len(queries)

    make_change(NOON + timedelta(hours=1), NOON + timedelta(hours=2))
    few = revalidate()
    for hours in range(2, 40):
        change = make_change(NOON + timedelta(hours=hours), NOON + timedelta(hours=hours + 1))
        ChangeHostFactory(change=change, host=HostFactory())
    assert revalidate() == few
    # The token, one aggregate over the changes, and for the ICS feed the freeze windows with their environments.
    assert few == (4 if url == ICS else 2)
