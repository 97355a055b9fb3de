"""(e) The live bridge's poll: an incident on the busy host, polled as a participant's page does (htmx, every 4 s).

"nothing new": the page holds the current digest and marker, the answer is 204 (target: ≤ 2 queries, ≤ 3 ms).
"after a new note": a note is added, then the page polls with what it held; the answer is the re-rendered bridge.
That row includes the note's insert, which is also timed alone; the raw side is the marker's SQL statement.
"""

from __future__ import annotations

import re

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.incidents import services
from apps.incidents.choices import Severity
from apps.incidents.live_marker import marker_sql
from apps.incidents.models import Incident
from bench.measure import Budget, compare
from bench.scenarios import Fixture, Result

HTMX = {"HTTP_HX_REQUEST": "true"}
NOTHING_NEW = "GET /incidents/{pk}/live/ (poll, nothing new)"
AFTER_NOTE = "GET /incidents/{pk}/live/ (poll after a new note)"
NOTE = "services.add_note"
MARKER_RAW = "raw SQL: the marker statement"
COMPARISON = "bridge poll, busy host"
TITLE = "bench: live bridge"
POLLER = re.compile(r"\?v=([0-9a-f]+)&amp;m=([0-9a-f]*)")


def incident(fx: Fixture, user) -> Incident:
    """The bench's incident on the busy host at the first suspects time (reused by --skip-load runs)."""
    found = Incident.objects.filter(title=TITLE).order_by("-id").first()
    if found is not None:
        return found
    return services.open_incident(
        actor=user, title=TITLE, severity=Severity.SEV2, started_at=fx.times[0], hosts=[fx.busy]
    )


def _held(response) -> dict[str, str]:
    found = POLLER.search(response.content.decode())
    if found is None:
        raise RuntimeError(f"{response.status_code} from the poll without the poller: {response.content[:300]!r}")
    return {"v": found.group(1), "m": found.group(2)}


def poll(raw, fx: Fixture, budget: Budget, user) -> Result:
    target = incident(fx, user)
    url = reverse("incidents:incident_live", args=[target.pk])
    held = _held(fx.page.get(url, **HTMX))
    counter = iter(range(10**9))

    def nothing_new(_):
        nonlocal held
        response = fx.page.get(url, held, **HTMX)
        if response.status_code == 200:  # the minute turned: the page takes the new marker, as htmx would
            held = _held(response)
        elif response.status_code != 204:
            raise RuntimeError(f"{response.status_code} from the poll: {response.content[:300]!r}")

    stale = dict(held)

    def after_note(_):
        response = fx.page.get(url, stale, **HTMX)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code} from the poll after a note: {response.content[:300]!r}")

    def note(_):
        services.add_note(incident=target, actor=user, text=f"bench note {next(counter)}")

    def noted_poll(argument):
        note(argument)
        after_note(argument)

    # Each request empties the query log when it starts (request_started): begin the capture on an empty log too,
    # or CaptureQueriesContext slices the new log from the old one's length and misses the first queries.
    reset_queries()
    with CaptureQueriesContext(connection) as quiet:
        nothing_new(None)
    quiet_count = len(quiet.captured_queries)  # now: captured_queries reads the live log, which later requests empty
    note(None)
    reset_queries()
    with CaptureQueriesContext(connection) as busy:
        after_note(None)
    busy_count = len(busy.captured_queries)
    paths = {
        MARKER_RAW: lambda _: raw.execute(marker_sql(), [target.pk]).fetchall(),
        NOTHING_NEW: nothing_new,
        NOTE: note,
        AFTER_NOTE: noted_poll,
    }
    stats = compare(paths, [None], budget)
    counts = {NOTHING_NEW: quiet_count, AFTER_NOTE: busy_count}
    hosts = target.hosts.count()
    note_text = (
        f"incident on {fx.busy.hostname} ({hosts} host), started {fx.times[0]:%Y-%m-%d %H:%M} UTC; "
        f"the 'after a new note' row includes the note's insert ({NOTE} alone: the row above it); its query "
        "count is the poll's alone"
    )
    return Result(COMPARISON, MARKER_RAW, stats, counts, note_text)
