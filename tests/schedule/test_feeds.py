from datetime import timedelta

import feedparser
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from apps.accounts.services import regenerate_feed_token, revoke_feed_token
from apps.changes.choices import ChangeStatus
from apps.changes.services import update_change
from apps.platform.actors import Actor
from tests.factories import ChangeHostFactory, FreezeWindowFactory, HostFactory, environment
from tests.schedule.conftest import make_change

ICS = reverse("schedule:feed_ics")
ATOM = reverse("schedule:feed_atom")


@pytest.fixture
def token(viewer):
    return regenerate_feed_token(user=viewer)


@pytest.fixture
def anonymous():
    """Feeds are fetched by calendar clients: no session, no cookies."""
    return Client()


def soon(hours: float):
    return timezone.now().replace(microsecond=0) + timedelta(hours=hours)


def events(response) -> dict[str, object]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.mark.django_db
def test_ics_feed_is_valid_and_stable(anonymous, token, settings):
    settings.SITE_URL = "https://changes.example.com"
    release = make_change(
        soon(24),
        soon(27),
        title="Billing 2.4.0",
        kind="release",
        summary="Roll out billing 2.4.0",
        status=ChangeStatus.APPROVED,
    )
    ChangeHostFactory(change=release, host=HostFactory(hostname="web01"))
    cancelled = make_change(soon(48), soon(49), title="Old patch", status=ChangeStatus.CANCELLED)

    found = events(anonymous.get(ICS, {"token": token}))
    uid = f"change-{release.pk}@changes.example.com"
    assert set(found) == {uid, f"change-{cancelled.pk}@changes.example.com"}
    event = found[uid]
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == release.eff_start and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event["DTSTART"].to_ical().endswith(b"Z") and event["DTEND"].to_ical().endswith(b"Z")
    assert str(event["URL"]) == f"https://changes.example.com/changes/{release.pk}/"
    description = str(event["DESCRIPTION"])
    assert "Roll out billing 2.4.0" in description and "web01" in description
    assert f"CHG-{release.pk}" in str(event["SUMMARY"])
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(found[f"change-{cancelled.pk}@changes.example.com"]["STATUS"]) == "CANCELLED"

    # An edit bumps SEQUENCE and keeps the UID, so clients update the event instead of duplicating it.
    moved = soon(30)  # once: a second call may fall in the next second
    update_change(
        change=release,
        actor=Actor.automatic("test"),
        fields={"planned_start": moved, "planned_end": moved + timedelta(hours=2)},
    )
    again = events(anonymous.get(ICS, {"token": token}))[uid]
    assert again["SEQUENCE"] == 2
    assert again.decoded("DTSTART") == moved


@pytest.mark.django_db
def test_ics_feed_takes_the_calendar_filters_and_a_bounded_window(anonymous, token):
    prod = make_change(soon(5), soon(6), title="prod patch", kind="patch")
    make_change(soon(5), soon(6), title="qa patch", kind="patch", environment=environment("qa"))
    make_change(soon(5), soon(6), title="prod release", kind="release")
    make_change(soon(24 * 200), soon(24 * 200 + 1), title="far future")
    make_change(soon(-24 * 40), soon(-24 * 40 + 1), title="long ago")
    every = events(anonymous.get(ICS, {"token": token}))
    assert sorted(str(event["SUMMARY"]).split("] ")[1] for event in every.values()) == [
        "prod patch",
        "prod release",
        "qa patch",
    ]
    filtered = events(anonymous.get(ICS, {"token": token, "environment": "prod", "kind": "patch"}))
    assert list(filtered) == [f"change-{prod.pk}@127.0.0.1"]
    assert anonymous.get(ICS, {"token": token, "kind": "volcano"}).status_code == 400


@pytest.mark.django_db
def test_recurring_freeze_occurrences_are_exported(anonymous, token):
    first = timezone.now().replace(microsecond=0) - timedelta(days=60)
    window = FreezeWindowFactory(
        name="Weekly freeze", start=first, end=first + timedelta(hours=6), recurrence="FREQ=WEEKLY", reason="Payroll"
    )
    window.environments.add(environment("prod"))
    freezes = [
        event for uid, event in events(anonymous.get(ICS, {"token": token})).items() if uid.startswith("freeze-")
    ]
    # 30 days back to 180 days ahead holds 30 weekly occurrences (31 depending on where "now" falls).
    assert 29 <= len(freezes) <= 31
    starts = sorted(event.decoded("DTSTART") for event in freezes)
    assert all(later - earlier == timedelta(days=7) for earlier, later in zip(starts, starts[1:], strict=False))
    assert all(str(event["SUMMARY"]) == "Change freeze: Weekly freeze" for event in freezes)
    assert len({str(event["UID"]) for event in freezes}) == len(freezes)
    # A feed filtered to QA leaves the production freeze out.
    qa = events(anonymous.get(ICS, {"token": token, "environment": "qa"}))
    assert not [uid for uid in qa if uid.startswith("freeze-")]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [ICS, ATOM])
def test_feeds_need_a_valid_token(anonymous, viewer, token, url):
    make_change(soon(5), soon(6), title="secret change")
    assert anonymous.get(url).status_code == 404
    assert anonymous.get(url, {"token": "not-the-token"}).status_code == 404
    assert anonymous.get(url, {"token": "x" * 500}).status_code == 404
    assert anonymous.get(url, {"token": token}).status_code == 200
    revoke_feed_token(user=viewer)
    response = anonymous.get(url, {"token": token})
    assert response.status_code == 404 and b"secret change" not in response.content
    new_token = regenerate_feed_token(user=viewer)
    assert new_token != token
    assert anonymous.get(url, {"token": new_token}).status_code == 200
    viewer.is_active = False
    viewer.save()
    assert anonymous.get(url, {"token": new_token}).status_code == 404


@pytest.mark.django_db
def test_atom_feed_lists_recent_changes_with_filters(anonymous, token, settings):
    settings.SITE_URL = "https://changes.example.com"
    older = make_change(soon(5), soon(6), title="older", kind="patch")
    newer = make_change(
        soon(50), soon(51), title="newer <b>bold</b>", kind="release", summary="line one\n<script>x</script>"
    )
    update_change(change=older, actor=Actor.automatic("test"), fields={"title": "older, edited"})
    response = anonymous.get(ATOM, {"token": token})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo
    titles = [entry.title for entry in feed.entries]
    assert titles[0].startswith(f"CHG-{older.pk} [Production] older, edited")  # most recently updated first
    assert titles[1].startswith(f"CHG-{newer.pk} [Production] newer <b>bold</b>")
    assert feed.entries[0].link == f"https://changes.example.com/changes/{older.pk}/"
    assert "<script>" not in response.content.decode()
    filtered = feedparser.parse(anonymous.get(ATOM, {"token": token, "kind": "release"}).content)
    assert [entry.link for entry in filtered.entries] == [f"https://changes.example.com/changes/{newer.pk}/"]


@pytest.mark.django_db
def test_control_characters_are_dropped_from_both_feeds(anonymous, token):
    """Found by tests/fuzz: a control character in a title made the Atom feed a 500 and the ICS invalid."""
    change = make_change(soon(5), soon(6), title="bell\x07 esc\x1b del\x7f c1\x85 end", summary="a\r\nb\rc\x01d")
    ics = events(anonymous.get(ICS, {"token": token}))[f"change-{change.pk}@127.0.0.1"]
    assert str(ics["SUMMARY"]) == f"CHG-{change.pk} [Production] bell esc del c1\x85 end"
    assert "\n\na\nb\ncd\n\n" in str(ics["DESCRIPTION"])
    atom = anonymous.get(ATOM, {"token": token})
    assert atom.status_code == 200
    feed = feedparser.parse(atom.content)
    assert not feed.bozo and feed.entries[0].title == f"CHG-{change.pk} [Production] bell esc del c1 end (Draft)"
