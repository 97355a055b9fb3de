"""ICS and Atom feeds of changes, authenticated by the user's secret feed token instead of a session.

Calendar clients (Outlook, Google, Thunderbird) cannot log in, so the URL carries ``token=<feed token>``
from the user's profile; a missing, wrong or revoked token is a 404 that reveals nothing. Both feeds take
the calendar's filters (``ChangeFilterSet``).

The ICS feed covers FEED_PAST before today (UTC) to FEED_FUTURE after it, at most MAX_FEED_EVENTS changes, so a
subscription stays small. Recurring freeze windows are exported occurrence by occurrence (expanded by
``apps.changes.freeze`` in the site's zone), not as RRULEs: clients disagree on RRULE time zones.

User text is normalised for both formats (``ical_text``, ``xml_text``): CR LF and lone CR become LF, and the
control characters neither RFC 5545 TEXT nor XML 1.0 can carry are dropped (C0 except tab and LF, and DEL;
the Atom feed drops C1 controls too). icalendar escapes commas, semicolons, backslashes and newlines and
folds lines at 75 octets without splitting a UTF-8 character; Django's Atom generator escapes markup.

Clients poll, so each feed has validators (``FeedVersion``: a weak ETag and Last-Modified) computed without
building the feed (see "Validators" below); the views answer 304 from them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from icalendar import Calendar, Event

from apps.accounts.models import UserProfile
from apps.changes import state_machine
from apps.changes.choices import ChangeStatus
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change
from apps.schedule.links import Links, load_links
from apps.schedule.state import filter_params
from apps.schedule.visible import changes_in_window, environment_ids

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=180)
MAX_FEED_EVENTS = 5000
ATOM_ITEMS = 50
MAX_TOKEN_LENGTH = 64
# Part of every validator: bump it when what the feeds contain or how it is written changes, so clients holding
# a copy made by the previous code fetch the new one instead of getting a 304.
FEED_FORMAT = 1
ICS_STATUS = {
    ChangeStatus.CANCELLED: "CANCELLED",
    ChangeStatus.REJECTED: "CANCELLED",
    ChangeStatus.DRAFT: "TENTATIVE",
    ChangeStatus.SUBMITTED: "TENTATIVE",
}


_ICAL_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
# XML 1.0 forbids C0 controls and discourages C1 ones (feed readers mangle them as Windows-1252).
_XML_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _one_newline(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def ical_text(text: str) -> str:
    """Text as an iCalendar TEXT value can hold it: LF line breaks, no control characters but tab."""
    return _ICAL_CONTROL.sub("", _one_newline(text))


def xml_text(text: str) -> str:
    """Text as XML 1.0 can hold it: Django's feed generator refuses control characters."""
    return _XML_CONTROL.sub("", _one_newline(text))


class BadFilters(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in errors.items()))


@dataclass
class FeedRequest:
    user: object
    filterset: ChangeFilterSet

    @property
    def queryset(self) -> QuerySet[Change]:
        return self.filterset.qs


def feed_user(request: HttpRequest):
    """The active user whose feed token is in the URL; 404 for a missing, unknown or revoked token."""
    token = request.GET.get("token", "")
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Http404("No such feed.")
    profile = UserProfile.objects.select_related("user").filter(feed_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404("No such feed.")
    return profile.user


def feed_request(request: HttpRequest, queryset: QuerySet[Change]) -> FeedRequest:
    user = feed_user(request)
    filterset = ChangeFilterSet(filter_params(request.GET), queryset=queryset)
    if not filterset.is_valid():
        raise BadFilters(filterset.errors)
    return FeedRequest(user=user, filterset=filterset)


def feed_day(now: datetime) -> datetime:
    """The UTC midnight that begins ``now``'s day: the ICS window moves once a day, not with every request."""
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """From FEED_PAST before today to the end of the day FEED_FUTURE ahead, in whole UTC days.

    Whole days keep the feed a function of the data and the date (its description names both dates): the same
    data gives the same feed all day, so the validators below can be computed from the data alone.
    """
    day = feed_day(now)
    return day - FEED_PAST, day + FEED_FUTURE + timedelta(days=1)


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _uid_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "changeportal"


def change_uid(change: Change) -> str:
    """Stable for the life of the change: clients match updates and cancellations on it."""
    return f"change-{change.pk}@{_uid_domain()}"


def _description(change: Change, links: Links) -> str:
    facts = [change.get_kind_display(), change.get_status_display(), f"{change.get_risk_display()} risk"]
    lines = [" · ".join(facts), f"Environment: {change.environment}"]
    if change.team_id:
        lines.append(f"Team: {change.team}")
    hosts = links.hosts.get(change.pk, [])
    if hosts:
        lines.append(f"Hosts ({len(hosts)}): {', '.join(hosts[:20])}" + (" …" if len(hosts) > 20 else ""))
    services = links.services.get(change.pk, [])
    if services:
        lines.append(f"Services: {', '.join(services)}")
    if change.artifact:
        lines.append(f"Artifact: {change.artifact}")
    if change.summary:
        lines += ["", change.summary]
    lines += ["", absolute(change.get_absolute_url())]
    return "\n".join(lines)


def change_event(change: Change, links: Links) -> Event:
    event = Event()
    event.add("uid", change_uid(change))
    event.add("sequence", change.version)
    event.add("dtstamp", change.updated.astimezone(UTC))
    event.add("created", change.created.astimezone(UTC))
    event.add("last-modified", change.updated.astimezone(UTC))
    event.add("dtstart", change.eff_start.astimezone(UTC))
    if change.eff_end > change.eff_start:
        event.add("dtend", change.eff_end.astimezone(UTC))
    summary = f"{change.reference} [{change.environment}] {change.title}"
    if change.status in state_machine.WILL_NOT_RUN:
        summary += f" ({change.get_status_display().lower()})"
    event.add("summary", ical_text(summary))
    event.add("description", ical_text(_description(change, links)))
    event.add("status", ICS_STATUS.get(change.status, "CONFIRMED"))
    event.add("url", absolute(change.get_absolute_url()))
    event.add("categories", [change.get_kind_display(), ical_text(str(change.environment))])
    event.add("transp", "TRANSPARENT")  # a change does not make anyone busy
    return event


def _freeze_environments(window) -> str:
    return ", ".join(str(environment) for environment in window.environments.all())


def _freeze_facts(occurrence: FreezeOccurrence) -> tuple:
    """Everything ``freeze_event`` reads of an occurrence; the ICS validator hashes exactly this."""
    window = occurrence.window
    return (
        window.pk,
        window.name,
        window.reason,
        window.created,
        occurrence.start,
        occurrence.end,
        _freeze_environments(window),
    )


def freeze_event(occurrence: FreezeOccurrence) -> Event:
    window = occurrence.window
    start = occurrence.start.astimezone(UTC)
    environments = _freeze_environments(window)
    event = Event()
    event.add("uid", f"freeze-{window.pk}-{start:%Y%m%dT%H%M%SZ}@{_uid_domain()}")
    event.add("sequence", 0)
    event.add("dtstamp", window.created.astimezone(UTC))
    event.add("dtstart", start)
    event.add("dtend", occurrence.end.astimezone(UTC))
    event.add("summary", ical_text(f"Change freeze: {window.name}"))
    description = f"Changes to {environments or 'no environment'} need a freeze exception."
    event.add("description", ical_text(description + (f"\n\n{window.reason}" if window.reason else "")))
    event.add("categories", ["Change freeze"])
    event.add("transp", "TRANSPARENT")
    return event


# --- Validators ---------------------------------------------------------------------------------------------------
#
# A poll is answered from the data the feed is made of, without building it: every save of a change sets its
# ``updated`` (auto_now), so
# - ICS: the count and the latest ``updated`` of the changes in the window (one aggregate query) move whenever a
#   change is created, edited (moved into or out of the window or the filters included) or deleted;
# - Atom: the (id, updated) of the ATOM_ITEMS latest changes (one index scan, cheaper than counting every change)
#   are exactly what decides which entries the feed holds and in which version.
# Freeze windows have no ``updated`` field: the ICS feed reads their occurrences anyway (two small queries), so the
# validator hashes everything the feed shows of them (``_freeze_facts``). What carries no timestamp at all (renamed
# environments, teams, services, hosts or users; hosts added to a change by an execution report without saving the
# change) is only caught by ``day``, part of every validator: it reaches the clients within a UTC day.
# The token user's time zone is not part of it because it does not change the output: both feeds are written in
# UTC (freeze rules expand in the site's zone). Neither is the token: every user's feed shows the same changes.
#
# The ETag is weak: a gzip-compressed and a plain response are the same feed, not the same bytes (Django's gzip
# also adds random bytes against BREACH). Last-Modified is the latest ``updated``, freeze window creation or
# ``day``; it cannot see a freeze window's edit or a deletion, which only the ETag reflects (If-None-Match wins
# over If-Modified-Since), so a client that sends only If-Modified-Since sees those on the next day.


@dataclass(frozen=True)
class FeedVersion:
    """A feed's validators: ``etag`` (weak, quoted) and ``last_modified``."""

    etag: str
    last_modified: datetime


def feed_version(
    kind: str, feed: FeedRequest, day: datetime, *, content: object, times: Sequence[datetime | None] = ()
) -> FeedVersion:
    """The validators of a feed from a summary of its ``content`` (anything with a stable repr) and its
    modification ``times``."""
    parts = (kind, FEED_FORMAT, settings.SITE_URL, feed.filterset.data.urlencode(), day, content)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return FeedVersion(etag=f'W/"{kind}-{digest}"', last_modified=max(moment for moment in (day, *times) if moment))


@dataclass
class IcsFeed:
    """The ICS feed of one request: the token and the filters are checked on creation (Http404, BadFilters), then
    ``version`` answers a conditional request and ``render()`` writes the calendar."""

    feed: FeedRequest
    day: datetime

    @classmethod
    def from_request(cls, request: HttpRequest, *, now: datetime | None = None) -> IcsFeed:
        day = feed_day(now or timezone.now())
        start, end = feed_window(day)
        return cls(feed=feed_request(request, changes_in_window(start, end)), day=day)

    @property
    def window(self) -> tuple[datetime, datetime]:
        return feed_window(self.day)

    @cached_property
    def freezes(self) -> list[FreezeOccurrence]:
        start, end = self.window
        return freeze_occurrences(start=start, end=end, environment_ids=environment_ids(self.feed.filterset))

    @cached_property
    def version(self) -> FeedVersion:
        # Over (pk, updated) only: the multiple-choice filters make the queryset DISTINCT (over every column).
        changes = self.feed.queryset.order_by().values("pk", "updated")
        stats = changes.aggregate(count=Count("pk"), updated=Max("updated"))
        freezes = [_freeze_facts(occurrence) for occurrence in self.freezes]
        times = [stats["updated"], *(occurrence.window.created for occurrence in self.freezes)]
        return feed_version("ics", self.feed, self.day, content=(stats, freezes), times=times)

    def render(self) -> tuple[bytes, bool]:
        """The calendar body and whether it was cut at MAX_FEED_EVENTS."""
        start, end = self.window
        changes = list(self.feed.queryset[: MAX_FEED_EVENTS + 1])
        truncated = len(changes) > MAX_FEED_EVENTS
        changes = changes[:MAX_FEED_EVENTS]
        links = load_links([change.pk for change in changes])
        calendar = Calendar()
        calendar.add("prodid", "-//ChangePortal//Change calendar//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", "ChangePortal changes")
        last_day = end - timedelta(days=1)
        calendar.add(
            "x-wr-caldesc",
            f"Changes from {start:%Y-%m-%d} to {last_day:%Y-%m-%d} (UTC)"
            + (f"; only the first {MAX_FEED_EVENTS}, narrow the filters to see the rest" if truncated else ""),
        )
        calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT15M")
        for change in changes:
            calendar.add_component(change_event(change, links))
        for occurrence in self.freezes:
            calendar.add_component(freeze_event(occurrence))
        return calendar.to_ical(), truncated


@dataclass
class AtomFeed:
    """The Atom feed of one request, like IcsFeed; ``ChangeAtomFeed`` writes it."""

    feed: FeedRequest
    day: datetime

    @classmethod
    def from_request(cls, request: HttpRequest, *, now: datetime | None = None) -> AtomFeed:
        queryset = Change.objects.select_related("environment", "team", "requester")
        return cls(feed=feed_request(request, queryset), day=feed_day(now or timezone.now()))

    @cached_property
    def version(self) -> FeedVersion:
        latest = list(atom_items(self.feed.queryset).values_list("pk", "updated"))
        return feed_version("atom", self.feed, self.day, content=latest, times=[row[1] for row in latest[:1]])


def atom_items(queryset: QuerySet[Change]) -> QuerySet[Change]:
    return queryset.order_by("-updated", "-id")[:ATOM_ITEMS]


class ChangeAtomFeed(Feed):
    """The most recently created or edited changes matching the filters, newest first."""

    feed_type = Atom1Feed
    title = "ChangePortal: recently updated changes"
    subtitle = "Changes created or edited most recently, dev and ops together."

    def get_object(self, request, *args, feed: AtomFeed | None = None, **kwargs):
        return (feed or AtomFeed.from_request(request)).feed

    def link(self, obj):
        return absolute(reverse("schedule:calendar"))

    def feed_url(self, obj):
        return absolute(reverse("schedule:feed_atom"))

    def items(self, obj):
        return atom_items(obj.queryset)

    def item_title(self, item):
        return xml_text(f"{item.reference} [{item.environment}] {item.title} ({item.get_status_display()})")

    def item_description(self, item):
        # Atom1Feed declares the summary as HTML: escape the user's text so readers show it as text.
        facts = f"{item.get_kind_display()} · {item.get_status_display()} · {item.get_risk_display()} risk"
        window = f"{item.eff_start.astimezone(UTC):%Y-%m-%d %H:%M} – {item.eff_end.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        parts = [escape(facts), escape(window)] + ([escape(xml_text(item.summary))] if item.summary else [])
        return "<br>".join(part.replace("\n", "<br>") for part in parts)

    def item_link(self, item):
        return absolute(item.get_absolute_url())

    def item_guid(self, item):
        return absolute(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.created

    def item_updateddate(self, item):
        return item.updated

    def item_author_name(self, item):
        return item.requester.get_username() if item.requester_id else None

    def item_categories(self, item):
        return [item.get_kind_display(), xml_text(str(item.environment))]
