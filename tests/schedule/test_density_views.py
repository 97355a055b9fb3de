"""The calendar pages with dense days: stacks in the week grid, "+N more" that still flags collisions."""

from datetime import timedelta

import pytest
from django.urls import reverse

from apps.schedule.calendar import MONTH_VISIBLE
from tests.factories import ChangeHostFactory, FreezeWindowFactory, HostFactory, environment
from tests.schedule.conftest import make_change, utc

URL = reverse("schedule:calendar")


@pytest.mark.django_db
def test_the_month_more_link_says_how_many_hidden_changes_collide(login, viewer):
    start = utc(2026, 11, 18, 8)
    for index in range(MONTH_VISIBLE):
        make_change(start + timedelta(hours=index), start + timedelta(hours=index, minutes=30), title=f"early {index}")
    host = HostFactory(hostname="db07")
    late = start + timedelta(hours=6)
    for title in ("late one", "late two"):
        ChangeHostFactory(change=make_change(late, late + timedelta(hours=1), title=title), host=host)
    body = login(viewer).get(URL, {"view": "month", "date": "2026-11-18"}).content.decode()
    assert '<summary>+2 more <span class="stack-flag" title="2 with a collision">⚠2' in body


@pytest.mark.django_db
def test_a_stack_under_a_freeze_and_with_collisions_says_both_while_closed(login, viewer):
    host = HostFactory(hostname="web09")
    start = utc(2026, 11, 18, 10)
    for index in range(5):  # five at once: more than a week column's lanes
        change = make_change(start, start + timedelta(minutes=45), title=f"parallel {index}")
        if index < 2:
            ChangeHostFactory(change=change, host=host)
    freeze = FreezeWindowFactory(name="Change freeze X", start=utc(2026, 11, 18, 10, 30), end=utc(2026, 11, 18, 12))
    freeze.environments.add(environment("prod"))
    response = login(viewer).get(URL, {"view": "week", "date": "2026-11-18"})
    [stack] = response.context["grid"].days[2].stacks
    assert (stack.label, stack.count, stack.collisions, stack.frozen) == ("10:00", 5, 2, ["Change freeze X"])
    body = response.content.decode()
    assert '<details class="stack rs-41 rw-4 stack-collides stack-frozen">' in body
    assert '⚠2<span class="visually-hidden"> with a collision</span>' in body
    assert "during the freeze Change freeze X" in body
    # The expanded list has every change of the stack, by start time.
    listed = body.split('<details class="stack rs-41', 1)[1].split("</details>", 1)[0]
    assert [f"parallel {index}" in listed for index in range(5)] == [True] * 5
