from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from apps.changes.choices import ChangeStatus
from apps.changes.collisions import _pairs, collisions_among, collisions_for_change
from apps.changes.models import Change
from apps.platform.expressions import AnyOf, EpochMicroseconds
from apps.schedule.links import load_links
from tests.factories import ChangeHostFactory, HostFactory, ServiceFactory
from tests.schedule.conftest import make_change, utc

URL = reverse("schedule:calendar")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def brute_force_pairs(intervals) -> set[frozenset[int]]:
    return {
        frozenset((first[2], second[2]))
        for index, first in enumerate(intervals)
        for second in intervals[index + 1 :]
        if first[2] != second[2] and first[0] < second[1] and second[0] < first[1]
    }


@given(
    st.lists(
        st.tuples(st.integers(0, 40), st.integers(0, 8)).map(lambda pair: (pair[0], pair[0] + pair[1])),
        max_size=25,
    )
)
def test_the_sweep_finds_exactly_the_overlapping_pairs(windows):
    # Small integer windows make shared starts, touching ends and empty windows (start == end) common.
    intervals = [(start, end, change_id) for change_id, (start, end) in enumerate(windows)]
    found = [frozenset(pair) for pair in _pairs(list(intervals))]
    assert len(found) == len(set(found))  # each pair once
    assert set(found) == brute_force_pairs(intervals)


@pytest.mark.django_db
def test_epoch_microseconds_is_exact_on_this_backend():
    instants = [
        utc(2026, 11, 17, 20, 0),
        datetime(2026, 11, 17, 20, 0, 0, 1, tzinfo=UTC),
        datetime(2026, 11, 17, 20, 0, 59, 999999, tzinfo=UTC),
        utc(1999, 12, 31, 23, 59),
    ]
    for instant in instants:
        change = make_change(instant, instant + timedelta(hours=1))
        value = Change.objects.filter(pk=change.pk).values_list(EpochMicroseconds("eff_start"), flat=True).get()
        assert value == (instant - EPOCH) // timedelta(microseconds=1), instant


@pytest.mark.django_db
def test_overlaps_are_exact_to_the_microsecond():
    host = HostFactory(hostname="db01")
    first = make_change(utc(2026, 11, 17, 9), datetime(2026, 11, 17, 10, 0, 0, 2, tzinfo=UTC), title="first")
    overlapping = make_change(datetime(2026, 11, 17, 10, 0, 0, 1, tzinfo=UTC), utc(2026, 11, 17, 11), title="by 1 µs")
    touching = make_change(datetime(2026, 11, 17, 10, 0, 0, 2, tzinfo=UTC), utc(2026, 11, 17, 11), title="touching")
    for change in (first, overlapping, touching):
        ChangeHostFactory(change=change, host=host)
    ids = [first.pk, overlapping.pk, touching.pk]
    links = load_links(ids)
    found = collisions_among(
        change_ids=set(ids),
        hosts=links.host_ids,
        services=links.service_ids,
        start=utc(2026, 11, 16),
        end=utc(2026, 11, 23),
    )
    assert [collision.other_id for collision in found[first.pk]] == [overlapping.pk]
    assert [collision.other_id for collision in found[overlapping.pk]] == [first.pk, touching.pk]
    assert [collision.other_id for collision in found[touching.pk]] == [overlapping.pk]


@pytest.mark.django_db
def test_a_collision_names_every_shared_host_then_service(login, viewer):
    hosts = [HostFactory(hostname=name) for name in ("web02", "web01", "db01")]
    billing = ServiceFactory(name="billing-web")
    release = make_change(utc(2026, 11, 18, 20), utc(2026, 11, 18, 23), title="release")
    patch = make_change(utc(2026, 11, 18, 22), utc(2026, 11, 19, 1), title="patch")
    for change in (release, patch):
        change.services.add(billing)
        for host in hosts[:2]:
            ChangeHostFactory(change=change, host=host)
    ChangeHostFactory(change=release, host=hosts[2])  # only one of them is on db01

    response = login(viewer).get(URL, {"view": "week", "date": "2026-11-18"})
    marks = {entry.change.title: entry.collisions for entry in response.context["visible"].entries}
    assert marks["release"] == [(patch.pk, ("host web01", "host web02", "service billing-web"))]
    assert str(marks["patch"][0]) == f"CHG-{release.pk} on host web01, host web02, service billing-web"


@pytest.mark.django_db
def test_any_of_filters_by_a_list_of_ids():
    changes = [make_change(utc(2026, 11, 18, hour), utc(2026, 11, 18, hour + 1)) for hour in range(3)]
    chosen = [changes[0].pk, changes[2].pk]
    assert sorted(Change.objects.filter(AnyOf("id", chosen)).values_list("pk", flat=True)) == chosen
    assert not Change.objects.filter(AnyOf("id", [])).exists()
    assert Change.objects.exclude(AnyOf("id", [])).count() == 3


@pytest.mark.django_db
def test_the_change_form_and_the_calendar_agree_without_a_buffer(login, viewer, settings):
    # The form's Conflicts panel (and the approval inbox) and the calendar's flags ask the same engine: with no
    # buffer, each change's conflicts are exactly the changes its calendar entry is flagged with, via the same
    # hosts and services. Edge cases: touching windows, a 1 µs overlap, an instant, a service-only share and a
    # cancelled change (which collides with nothing).
    settings.COLLISION_BUFFER_MINUTES = 0
    web1, web2, db1 = (HostFactory(hostname=name) for name in ("web01", "web02", "db01"))
    billing, search = ServiceFactory(name="billing-web"), ServiceFactory(name="search")

    def change(title, start, end, hosts=(), services=(), **fields):
        made = make_change(start, end, title=title, **fields)
        for host in hosts:
            ChangeHostFactory(change=made, host=host)
        made.services.add(*services)
        return made

    changes = [
        change("release", utc(2026, 11, 18, 20), utc(2026, 11, 18, 23), [web1, web2], [billing]),
        change("patch", utc(2026, 11, 18, 22), utc(2026, 11, 19, 1), [web2]),
        change("touching", utc(2026, 11, 18, 23), utc(2026, 11, 19, 0), [web1]),
        change("by 1 µs", datetime(2026, 11, 18, 23, 59, 59, 999999, tzinfo=UTC), utc(2026, 11, 19, 2), [web1]),
        change("config", utc(2026, 11, 18, 21), utc(2026, 11, 18, 21, 30), services=[billing, search]),
        change("reindex", utc(2026, 11, 18, 21, 15), utc(2026, 11, 18, 22), services=[search]),
        change(
            "instant",
            utc(2026, 11, 18, 22, 30),
            utc(2026, 11, 18, 22, 40),
            [web2],
            actual_start=utc(2026, 11, 18, 22, 30),
            actual_end=utc(2026, 11, 18, 22, 30),
        ),
        change("alone", utc(2026, 11, 18, 20), utc(2026, 11, 19, 2), [db1]),
    ]
    change(
        "cancelled", utc(2026, 11, 18, 20), utc(2026, 11, 19, 2), [web1, web2], [billing], status=ChangeStatus.CANCELLED
    )

    response = login(viewer).get(URL, {"view": "week", "date": "2026-11-18"})
    calendar = {entry.change.pk: set(entry.collisions) for entry in response.context["visible"].entries}
    for one in changes:
        form = {
            (conflict.change.pk, (*(f"host {h}" for h in conflict.hosts), *(f"service {s}" for s in conflict.services)))
            for conflict in collisions_for_change(one).conflicts
        }
        assert form == calendar[one.pk], one.title
    assert sum(map(bool, calendar.values())) == 7  # all but "alone" collide with something
    assert not any(calendar[pk] for pk in calendar if pk not in {one.pk for one in changes})  # the cancelled one
