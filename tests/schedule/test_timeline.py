from datetime import date, timedelta

import pytest
from django.urls import reverse

from apps.schedule.timeline import MAX_ROWS
from tests.factories import (
    ChangeHostFactory,
    FreezeWindowFactory,
    HostFactory,
    ServiceFactory,
    TeamFactory,
    environment,
)
from tests.schedule.conftest import make_change, utc

URL = reverse("schedule:calendar")


def timeline(client, **query):
    response = client.get(URL, {"view": "timeline", **query})
    assert response.status_code == 200
    return response.context["timeline"]


def lanes(line) -> dict[str, list[str]]:
    return {group.label: [bar.entry.change.title for bar in group.bars] for group in line.groups}


@pytest.mark.django_db
def test_groups_by_host_team_service_and_environment(login, viewer):
    web1, web2 = HostFactory(hostname="web01"), HostFactory(hostname="web02")
    ops = TeamFactory(name="Operations", slug="ops")
    billing = ServiceFactory(name="billing-web")
    release = make_change(utc(2026, 11, 18, 20), utc(2026, 11, 18, 23), title="release", team=ops)
    ChangeHostFactory(change=release, host=web1)
    ChangeHostFactory(change=release, host=web2)
    release.services.add(billing)
    make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="qa tweak", environment=environment("qa"))
    client = login(viewer)
    common = {"date": "2026-11-18", "span": "week"}
    assert lanes(timeline(client, group="host", **common)) == {
        "web01": ["release"],
        "web02": ["release"],
        "No host": ["qa tweak"],
    }
    assert lanes(timeline(client, group="team", **common)) == {"Operations": ["release"], "No team": ["qa tweak"]}
    assert lanes(timeline(client, group="service", **common)) == {
        "billing-web": ["release"],
        "No service": ["qa tweak"],
    }
    by_environment = timeline(client, group="environment", **common)
    assert [group.label for group in by_environment.groups] == ["QA", "Production"]  # environment order, not name
    host_page = client.get(URL, {"view": "timeline", "group": "host", **common}).content.decode()
    assert f'href="{reverse("inventory:host_detail", args=["web01"])}"' in host_page


@pytest.mark.django_db
def test_bar_columns_over_a_day_and_a_week(login, viewer):
    make_change(utc(2026, 11, 18, 10), utc(2026, 11, 18, 12, 30), title="morning")
    make_change(utc(2026, 11, 17, 22), utc(2026, 11, 18, 2), title="overnight")
    client = login(viewer)
    day = timeline(client, date="2026-11-18", span="day", group="team")
    assert day.slots == 96 and len(day.ticks) == 24
    bars = {bar.entry.change.title: bar for bar in day.groups[0].bars}
    assert (bars["morning"].col, bars["morning"].cols) == (41, 10)  # 10:00 is slot 41; 2.5 h = 10 slots
    assert (bars["overnight"].col, bars["overnight"].cols, bars["overnight"].starts_before) == (1, 8, True)
    week = timeline(client, date="2026-11-18", span="week", group="team")
    assert week.slots == 168 and [tick.day for tick in week.ticks][0] == date(2026, 11, 16)
    bars = {bar.entry.change.title: bar for bar in week.groups[0].bars}
    assert (bars["morning"].col, bars["morning"].cols) == (2 * 24 + 11, 3)  # Wednesday 10:00 to 12:30, whole hours
    assert (bars["overnight"].col, bars["overnight"].cols) == (24 + 23, 4)
    # Overlapping bars stack in separate rows of the lane.
    assert sorted(bar.row for bar in week.groups[0].bars) == [1, 1]


@pytest.mark.django_db
def test_busy_lane_keeps_a_bounded_height(login, viewer):
    host = HostFactory(hostname="db01")
    for index in range(MAX_ROWS + 4):
        change = make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 11), title=f"parallel {index}")
        ChangeHostFactory(change=change, host=host)
    client = login(viewer)
    line = timeline(client, date="2026-11-18", span="day", group="host")
    [group] = line.groups
    # More parallel changes than rows: one stack at 09:00 reaching to 11:00, in one row, with all ten.
    assert group.rows == 1 and group.bars == [] and group.total == MAX_ROWS + 4
    [stack] = group.stacks
    assert (stack.label, stack.first, stack.size, stack.count) == ("09:00", 37, 8, MAX_ROWS + 4)
    body = client.get(URL, {"view": "timeline", "date": "2026-11-18", "span": "day", "group": "host"}).content
    assert b'<details class="stack rs-1 cs-37 cw-8 stack-collides">' in body  # one host: they all collide


@pytest.mark.django_db
def test_freezes_and_now_on_the_timeline(login, viewer):
    first = utc(2026, 1, 3, 0)
    FreezeWindowFactory(
        name="Saturday freeze", start=first, end=first + timedelta(hours=12), recurrence="FREQ=WEEKLY;BYDAY=SA"
    ).environments.add(environment("prod"))
    client = login(viewer)
    line = timeline(client, date="2031-01-15", span="week", group="team")
    assert [(block.col, block.cols) for block in line.freezes] == [(5 * 24 + 1, 12)]
    assert line.now_col is None  # a week in 2031 does not contain now
    body = client.get(URL, {"view": "timeline", "date": "2031-01-15", "span": "week"}).content.decode()
    assert 'class="freeze freeze-band rs-2 cs-121 cw-12"' in body
    today = timeline(client, span="day", group="team")
    assert today.now_col is not None and 1 <= today.now_col <= 96
