"""How one change is drawn: the link, its tooltip and screen-reader text, the "+N more" line, the queries."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_script_prefix
from django.urls import reverse

from apps.changes.choices import ChangeStatus
from apps.schedule.visible import url_maker
from tests.factories import ChangeHostFactory, HostFactory, ServiceFactory, TeamFactory
from tests.schedule.conftest import make_change, utc

URL = reverse("schedule:calendar")
WEEK = {"view": "week", "date": "2026-11-18"}


def links_of(body: str, pk: int) -> list[str]:
    return re.findall(rf'<a class="ev [^"]*"[^>]*data-change="{pk}">.*?</a>', body, re.DOTALL)


@pytest.mark.django_db
def test_entry_link_carries_the_summary_escaped(login, viewer):
    team = TeamFactory(name='Ops <"night"> & co', slug="ops")
    web = HostFactory(hostname="web01")
    change = make_change(
        utc(2026, 11, 18, 20),
        utc(2026, 11, 18, 23),
        title='Fix "quotes" & <tags>',
        kind="patch",
        risk="high",
        team=team,
        status=ChangeStatus.APPROVED,
    )
    other = make_change(utc(2026, 11, 18, 22), utc(2026, 11, 19, 1), title="other")
    for item in (change, other):
        ChangeHostFactory(change=item, host=web)
    change.services.add(ServiceFactory(name="billing-web"))

    body = login(viewer).get(URL, WEEK).content.decode()
    [link] = links_of(body, change.pk)
    place = "ev rs-81 rw-12 cs-1 k-red st-approved collides"
    assert link.startswith(f'<a class="{place}" href="{change.get_absolute_url()}"')
    title = unescape(re.search(r'title="([^"]*)"', link).group(1))
    assert title == "\n".join(
        [
            f'CHG-{change.pk} · Fix "quotes" & <tags>',
            'Security patch · Approved · High risk · Production · Ops <"night"> & co',
            "Wed 18 Nov 20:00 – 23:00",
            "Hosts: web01",
            "Services: billing-web",
            f"Collides with CHG-{other.pk} on host web01",
        ]
    )
    assert "<tags>" not in link and '"night"' not in link  # escaped everywhere, not only in the tooltip
    assert f'<span class="visually-hidden"> collides with CHG-{other.pk} on host web01,</span>' in link
    assert f'20:00 <span class="ev-ref">CHG-{change.pk}</span>' in link
    assert '<span class="ev-title">Fix &quot;quotes&quot; &amp; &lt;tags&gt;</span>' in link
    assert '<span class="ev-meta">Approved · Production · Ops &lt;&quot;night&quot;&gt; &amp; co</span>' in link


@pytest.mark.django_db
def test_long_changes_and_overflow_lines_are_drawn_too(login, viewer):
    long = make_change(utc(2026, 11, 16, 6), utc(2026, 11, 19, 6), title="three days", status=ChangeStatus.CANCELLED)
    start = utc(2026, 11, 18, 8)
    busy = [make_change(start, start + timedelta(hours=1), title=f"busy <{index}>") for index in range(6)]
    body = login(viewer).get(URL, WEEK).content.decode()
    [bar] = links_of(body, long.pk)
    assert bar.startswith('<a class="ev bar cs-1 cw-4 rs-1 k-gray st-cancelled is-inactive" ')
    assert f'<span class="ev-time"><span class="ev-ref">CHG-{long.pk}</span></span>' in bar  # no start time
    # Six parallel changes need more lanes than a week column shows: they are one stack, 08:00, listing them all.
    assert '<details class="stack rs-33 rw-4">' in body
    assert '<span class="stack-when">08:00</span> <strong>6</strong>' in body
    hidden = busy[-1]
    line = re.search(rf'<li><a class="ev-line [^"]*" href="{hidden.get_absolute_url()}".*?</li>', body, re.DOTALL)[0]
    text = f'<span class="mono">Wed 08:00</span> CHG-{hidden.pk} busy &lt;5&gt; <span class="muted">· Draft</span>'
    assert text in line


@pytest.mark.django_db
def test_month_and_timeline_entries(login, viewer):
    change = make_change(utc(2026, 11, 18, 9, 30), utc(2026, 11, 18, 10), title="morning")
    ChangeHostFactory(change=change, host=HostFactory(hostname="web01"))
    client = login(viewer)
    month = client.get(URL, {"view": "month", "date": "2026-11-18"}).content.decode()
    [link] = links_of(month, change.pk)
    assert link.startswith('<a class="ev month-ev k-gray st-draft" ') and "09:30 <span" in link
    timeline = client.get(URL, {"view": "timeline", "date": "2026-11-18", "span": "day", "group": "host"})
    [bar] = links_of(timeline.content.decode(), change.pk)
    assert bar.startswith('<a class="ev bar cs-39 cw-2 rs-1 k-gray st-draft" ')


@pytest.mark.django_db
def test_entry_urls_follow_the_script_prefix(login, viewer):
    change = make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10))
    client = login(viewer)
    with override_script_prefix("/portal/"):
        body = client.get(URL, WEEK).content.decode()
    assert f'href="/portal/changes/{change.pk}/"' in body
    maker = url_maker("changes:change_detail")
    assert [maker(pk) for pk in (1, 42, 10**12)] == [
        reverse("changes:change_detail", args=[pk]) for pk in (1, 42, 10**12)
    ]


@pytest.mark.django_db
def test_the_page_reads_only_the_fields_it_shows(login, viewer):
    make_change(utc(2026, 11, 18, 9), utc(2026, 11, 18, 10), title="shown")
    client = login(viewer)
    client.get(URL, WEEK)  # session and profile
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, WEEK)
    [query] = [
        query["sql"]
        for query in captured.captured_queries
        if '"changes_change"."title"' in query["sql"]
        and "changes_change_services" not in query["sql"]
        and '"changes_change"."eff_start" <' in query["sql"]
    ]
    for unused in ("summary", "implementation_plan", "planned_start", "actual_end", "created", "links"):
        assert f'"changes_change"."{unused}"' not in query, unused
