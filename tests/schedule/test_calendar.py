import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.changes.choices import ChangeStatus
from apps.schedule.calendar import DAY_LANES, MONTH_VISIBLE, SLOTS_PER_DAY, WEEK_LANES
from tests.factories import ChangeHostFactory, FreezeWindowFactory, HostFactory, ServiceFactory, environment
from tests.schedule.conftest import HTMX, make_change, utc

URL = reverse("schedule:calendar")


def refs(response) -> set[str]:
    return {entry.change.title for entry in response.context["visible"].entries}


@pytest.mark.django_db
def test_calendar_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db
def test_default_is_the_current_week(login, viewer):
    response = login(viewer).get(URL)
    assert response.status_code == 200
    state = response.context["state"]
    assert state.view == "week"
    assert len(state.days) == 7 and state.days[0].weekday() == 0
    assert state.today in state.days


@pytest.mark.django_db
def test_week_window_edges(login, viewer):
    # The week of Monday 2026-11-16 in UTC (the viewer has no profile: server zone UTC).
    make_change(utc(2026, 11, 15, 12), utc(2026, 11, 23, 12), title="spans the whole week")
    make_change(utc(2026, 11, 15, 22), utc(2026, 11, 16, 0), title="ends exactly at the start")
    make_change(utc(2026, 11, 23, 0), utc(2026, 11, 23, 2), title="starts exactly at the end")
    make_change(utc(2026, 11, 15, 23), utc(2026, 11, 16, 1), title="crosses the start")
    make_change(utc(2026, 11, 22, 23), utc(2026, 11, 23, 1), title="crosses the end")
    response = login(viewer).get(URL, {"view": "week", "date": "2026-11-18"})
    assert refs(response) == {"spans the whole week", "crosses the start", "crosses the end"}
    grid = response.context["grid"]
    # The week-long change runs in the strip across all seven days, marked as continuing on both sides.
    [bar] = grid.strip
    assert (bar.col, bar.cols, bar.starts_before, bar.ends_after) == (1, 7, True, True)
    crossing = [segment for segment in grid.days[0].segments if segment.entry.change.title == "crosses the start"]
    assert crossing[0].row == 1 and crossing[0].starts_before


@pytest.mark.django_db
def test_week_across_the_autumn_dst_switch_uses_local_days(login, paris_viewer):
    # Paris leaves summer time on Sunday 2026-10-25 at 03:00 CEST (01:00 UTC).
    make_change(utc(2026, 10, 18, 21, 30), utc(2026, 10, 18, 22, 0), title="sunday before, local")
    make_change(utc(2026, 10, 18, 22, 30), utc(2026, 10, 18, 23, 30), title="monday 00:30 local")
    make_change(utc(2026, 10, 24, 10), utc(2026, 10, 24, 11), title="saturday 12:00 CEST")
    make_change(utc(2026, 10, 25, 10), utc(2026, 10, 25, 11), title="sunday 11:00 CET")
    make_change(utc(2026, 10, 25, 23, 30), utc(2026, 10, 26, 0, 30), title="monday after, local")
    response = login(paris_viewer).get(URL, {"view": "week", "date": "2026-10-25"})
    state = response.context["state"]
    assert state.days == [date(2026, 10, 19) + timedelta(days=offset) for offset in range(7)]
    assert (state.start, state.end) == (utc(2026, 10, 18, 22), utc(2026, 10, 25, 23))
    assert refs(response) == {"monday 00:30 local", "saturday 12:00 CEST", "sunday 11:00 CET"}
    rows = {
        (day.day.isoformat(), segment.entry.change.title): (segment.row, segment.start_text)
        for day in response.context["grid"].days
        for segment in day.segments
    }
    assert rows == {
        ("2026-10-19", "monday 00:30 local"): (3, "00:30"),
        ("2026-10-24", "saturday 12:00 CEST"): (49, "12:00"),
        ("2026-10-25", "sunday 11:00 CET"): (45, "11:00"),
    }
    assert "Times in Europe/Paris" in response.content.decode()


@pytest.mark.django_db
def test_collisions_are_marked_on_both_sides(login, viewer):
    web = HostFactory(hostname="web01")
    billing = ServiceFactory(name="billing-web")
    release = make_change(utc(2026, 11, 17, 20), utc(2026, 11, 17, 23), title="release", kind="release")
    patch = make_change(utc(2026, 11, 17, 22), utc(2026, 11, 18, 1), title="patch", kind="patch")
    ChangeHostFactory(change=release, host=web)
    ChangeHostFactory(change=patch, host=web)
    config = make_change(utc(2026, 11, 19, 9), utc(2026, 11, 19, 11), title="config")
    migration = make_change(utc(2026, 11, 19, 10), utc(2026, 11, 19, 12), title="migration")
    config.services.add(billing)
    migration.services.add(billing)
    later = make_change(utc(2026, 11, 18, 1), utc(2026, 11, 18, 2), title="right after")  # touches, no overlap
    ChangeHostFactory(change=later, host=web)
    cancelled = make_change(utc(2026, 11, 17, 21), utc(2026, 11, 17, 22), title="cancelled")
    cancelled.status = ChangeStatus.CANCELLED
    cancelled.save()
    ChangeHostFactory(change=cancelled, host=web)

    response = login(viewer).get(URL, {"view": "week", "date": "2026-11-16"})
    marks = {entry.change.title: entry.collisions for entry in response.context["visible"].entries}
    assert [str(item) for item in marks["release"]] == [f"CHG-{patch.pk} on host web01"]
    assert [str(item) for item in marks["patch"]] == [f"CHG-{release.pk} on host web01"]
    assert [str(item) for item in marks["config"]] == [f"CHG-{migration.pk} on service billing-web"]
    assert [item.other_id for item in marks["migration"]] == [config.pk]
    assert marks["right after"] == [] and marks["cancelled"] == []
    body = response.content.decode()
    marked = set(re.findall(r'class="ev [^"]*collides[^"]*"[^>]*data-change="(\d+)"', body))
    assert marked == {str(change.pk) for change in (release, patch, config, migration)}
    assert f"Collides with CHG-{patch.pk} on host web01" in body

    # Filtered to releases only, the release still shows its collision with the (hidden) patch.
    filtered = login(viewer).get(URL, {"view": "week", "date": "2026-11-16", "kind": "release"})
    [entry] = filtered.context["visible"].entries
    assert [item.other_id for item in entry.collisions] == [patch.pk]


@pytest.mark.django_db
def test_filters_and_state_round_trip_through_the_links(login, viewer):
    make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="prod release", kind="release")
    make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="prod patch", kind="patch")
    make_change(
        utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="qa release", kind="release", environment=environment("qa")
    )
    query = {
        "view": "timeline",
        "date": "2026-11-18",
        "group": "host",
        "span": "day",
        "environment": "prod",
        "kind": "release",
    }
    response = login(viewer).get(URL, query)
    assert refs(response) == {"prod release"}
    state = response.context["state"]
    filters = "environment=prod&kind=release"
    assert state.prev_query == f"view=timeline&date=2026-11-17&group=host&span=day&{filters}"
    assert state.next_query == f"view=timeline&date=2026-11-19&group=host&span=day&{filters}"
    body = response.content.decode()
    escaped = filters.replace("&", "&amp;")
    assert f'hx-get="{URL}?view=timeline&amp;date=2026-11-17&amp;group=host&amp;span=day&amp;{escaped}"' in body
    # Switching to the week view keeps the date and the filters.
    assert f'href="{URL}?view=week&amp;date=2026-11-18&amp;environment=prod&amp;kind=release"' in body
    assert 'hx-push-url="true"' in body
    assert '<input type="hidden" name="view" value="timeline" form="calendar-filters">' in body
    assert '<input type="hidden" name="date" value="2026-11-18" form="calendar-filters">' in body
    # The feeds and the CSV export take the same filters.
    assert f"{reverse('schedule:change_export')}?{filters.replace('&', '&amp;')}" in body

    # Following the "previous" link gives the same filters, one day earlier; htmx gets only the fragment.
    partial = login(viewer).get(f"{URL}?{state.prev_query}", **HTMX)
    fragment = partial.content.decode()
    assert '<section id="calendar"' in fragment and "<html" not in fragment
    assert "<title>Calendar · Tuesday 17 November 2026 · ChangePortal</title>" in fragment  # htmx updates the tab
    assert partial.context["state"].anchor == date(2026, 11, 17)
    assert partial.context["state"].filters.urlencode() == filters


@pytest.mark.django_db
def test_unknown_view_and_bad_date_fall_back_and_bad_filters_are_explained(login, viewer):
    response = login(viewer).get(URL, {"view": "decade", "date": "2026-13-45", "kind": "volcano"})
    assert response.status_code == 200
    assert response.context["state"].view == "week"
    assert "were not understood" in response.content.decode()


@pytest.mark.django_db
def test_empty_week_says_so(login, viewer):
    body = login(viewer).get(URL, {"view": "week", "date": "2030-01-07"}).content.decode()
    assert "No changes in this week." in body
    month = login(viewer).get(URL, {"view": "month", "date": "2030-01-07", "kind": "patch"}).content.decode()
    assert "No changes in this month with these filters." in month


@pytest.mark.django_db
def test_user_text_is_escaped(login, viewer):
    make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title='<script>alert("x")</script>')
    for view in ("week", "month", "day", "timeline"):
        body = login(viewer).get(URL, {"view": view, "date": "2026-11-18"}).content.decode()
        assert "<script>alert" not in body, view
        assert "&lt;script&gt;alert" in body, view


@pytest.mark.django_db
def test_busy_day_stays_legible(login, viewer):
    start = utc(2026, 11, 18, 8)
    for offset in range(80):
        begin = start + timedelta(minutes=5 * offset)
        make_change(begin, begin + timedelta(hours=1), title=f"busy {offset}")
    client = login(viewer)
    week = client.get(URL, {"view": "week", "date": "2026-11-18"})
    wednesday = week.context["grid"].days[2]
    assert wednesday.total == 80
    # Twelve changes overlap at once: too many lanes for a week column, so the run folds into hourly stacks.
    assert wednesday.segments == [] and wednesday.overflow == []
    assert [(stack.label, stack.count) for stack in wednesday.stacks] == [
        ("08:00", 12),
        ("09:00", 12),
        ("10:00", 12),
        ("11:00", 12),
        ("12:00", 12),
        ("13:00", 12),
        ("14:00", 8),
    ]
    assert sum(stack.count for stack in wednesday.stacks) == 80
    body = week.content.decode()
    assert body.count('<details class="stack ') == 7
    assert '<span class="stack-when">08:00</span> <strong>12</strong><span class="stack-noun"> changes</span>' in body
    month = client.get(URL, {"view": "month", "date": "2026-11-18"})
    cell = next(cell for row in month.context["weeks"] for cell in row if cell.day == date(2026, 11, 18))
    assert len(cell.segments) == MONTH_VISIBLE and len(cell.overflow) == 80 - MONTH_VISIBLE
    assert f"<summary>+{80 - MONTH_VISIBLE} more</summary>" in month.content.decode()


@pytest.mark.django_db
def test_recurring_freeze_is_shaded_on_every_occurrence(login, viewer):
    first = utc(2026, 1, 3, 0)  # a Saturday
    window = FreezeWindowFactory(
        name="Weekend freeze", start=first, end=first + timedelta(hours=48), recurrence="FREQ=WEEKLY;BYDAY=SA"
    )
    window.environments.add(environment("prod"))
    client = login(viewer)
    for monday in ("2026-11-16", "2026-11-23"):
        grid = client.get(URL, {"view": "week", "date": monday}).context["grid"]
        shaded = {day.day.weekday(): [(block.row, block.span) for block in day.freezes] for day in grid.days}
        assert shaded == {0: [], 1: [], 2: [], 3: [], 4: [], 5: [(1, 96)], 6: [(1, 96)]}
    body = client.get(URL, {"view": "week", "date": "2026-11-16"}).content.decode()
    assert body.count('class="freeze rs-1 rw-96"') == 2
    assert "Weekend freeze" in body
    # Filtered to QA, the production freeze is not shown.
    qa = client.get(URL, {"view": "week", "date": "2026-11-16", "environment": "qa"}).context["grid"]
    assert all(not day.freezes for day in qa.days)


@pytest.mark.django_db
def test_now_is_marked_in_todays_column(login, viewer):
    grid = login(viewer).get(URL).context["grid"]
    marked = [day for day in grid.days if day.now_row]
    assert len(marked) == 1 and marked[0].is_today


def test_stylesheet_has_every_grid_class_the_layout_uses():
    css = (settings.BASE_DIR / "static" / "css" / "calendar.css").read_text()
    widest_timeline = 7 * 24
    expected = (
        [(f"rs-{n}", f"grid-row-start:{n}") for n in range(1, SLOTS_PER_DAY + 2)]  # "now" may sit after 23:45
        + [(f"rw-{n}", f"grid-row-end:span {n}") for n in range(1, SLOTS_PER_DAY + 1)]
        + [(f"cs-{n}", f"grid-column-start:{n}") for n in range(1, widest_timeline + 1)]
        + [(f"cw-{n}", f"grid-column-end:span {n}") for n in range(1, widest_timeline + 1)]
        + [(f"lanes-{n}", f"grid-template-columns:repeat({n},minmax(0,1fr))") for n in range(1, DAY_LANES + 1)]
    )
    flat = re.sub(r"\s+", " ", css)
    missing = [name for name, rule in expected if f".{name}{{{rule}}}" not in flat]
    assert not missing
    assert WEEK_LANES <= DAY_LANES


def _populate(count: int):
    hosts = [HostFactory() for _ in range(4)]
    services = [ServiceFactory() for _ in range(2)]
    start = utc(2026, 11, 18, 6)
    for index in range(count):
        begin = start + timedelta(minutes=20 * index)
        change = make_change(begin, begin + timedelta(hours=4), kind="patch" if index % 2 else "release")
        ChangeHostFactory(change=change, host=hosts[index % 4])
        ChangeHostFactory(change=change, host=hosts[(index + 1) % 4])
        change.services.add(services[index % 2])
    FreezeWindowFactory(start=start, end=start + timedelta(hours=6), recurrence="FREQ=DAILY").environments.add(
        environment("prod")
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"view": "week", "date": "2026-11-18"},
        {"view": "day", "date": "2026-11-18"},
        {"view": "month", "date": "2026-11-18"},
        {"view": "timeline", "date": "2026-11-18", "group": "host"},
        {"view": "timeline", "date": "2026-11-18", "group": "service", "environment": "prod"},
    ],
)
def test_query_count_does_not_grow_with_the_number_of_changes(login, viewer, django_assert_max_num_queries, query):
    client = login(viewer)
    _populate(2)
    with CaptureQueriesContext(connection) as few:
        response = client.get(URL, query)
    assert len(response.context["visible"].entries) <= 2
    _populate(60)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL, query)
    assert len(response.context["visible"].entries) > 20
    assert response.context["visible"].collision_count > 0
