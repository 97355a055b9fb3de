"""ICS and Atom feeds of changes, authenticated by the user's secret feed token instead of a session.

Calendar clients (Outlook, Google, Thunderbird) cannot log in, so the URL carries ``token=<feed token>``
from the user's profile; a missing, wrong or revoked token is a 404 that reveals nothing. Both feeds take
the calendar's filters (``ChangeFilterSet``).

The ICS feed covers FEED_PAST before now to FEED_FUTURE after it, at most MAX_FEED_EVENTS changes, so a
subscription stays small. Recurring freeze windows are exported occurrence by occurrence (expanded by
``apps.changes.freeze`` in the site's zone), not as RRULEs: clients disagree on RRULE time zones.

User text is normalised for both formats (``ical_text``, ``xml_text``): CR LF and lone CR become LF, and the
control characters neither RFC 5545 TEXT nor XML 1.0 can carry are dropped (C0 except tab and LF, and DEL;
the Atom feed drops C1 controls too). icalendar escapes commas, semicolons, backslashes and newlines and
folds lines at 75 octets without splitting a UTF-8 character; Django's Atom generator escapes markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from icalendar import Calendar, Event

from apps.accounts.models import UserProfile
from apps.changes.choices import ChangeStatus
from apps.changes.filtersets import ChangeFilterSet
from apps.changes.freeze import FreezeOccurrence, freeze_occurrences
from apps.changes.models import Change
from apps.schedule.collisions import Links, load_links
from apps.schedule.state import filter_params
from apps.schedule.visible import changes_in_window, environment_ids

FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=180)
MAX_FEED_EVENTS = 5000
ATOM_ITEMS = 50
MAX_TOKEN_LENGTH = 64
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


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    return now - FEED_PAST, now + FEED_FUTURE


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
    if change.status in (ChangeStatus.CANCELLED, ChangeStatus.REJECTED):
        summary += f" ({change.get_status_display().lower()})"
    event.add("summary", ical_text(summary))
    event.add("description", ical_text(_description(change, links)))
    event.add("status", ICS_STATUS.get(change.status, "CONFIRMED"))
    event.add("url", absolute(change.get_absolute_url()))
    event.add("categories", [change.get_kind_display(), ical_text(str(change.environment))])
    event.add("transp", "TRANSPARENT")  # a change does not make anyone busy
    return event


def freeze_event(occurrence: FreezeOccurrence) -> Event:
    window = occurrence.window
    start = occurrence.start.astimezone(UTC)
    environments = ", ".join(str(environment) for environment in window.environments.all())
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


def build_ics(request: HttpRequest, *, now: datetime | None = None) -> tuple[bytes, bool]:
    """The calendar body and whether it was cut at MAX_FEED_EVENTS."""
    now = now or timezone.now()
    start, end = feed_window(now)
    feed = feed_request(request, changes_in_window(start, end))
    changes = list(feed.queryset[: MAX_FEED_EVENTS + 1])
    truncated = len(changes) > MAX_FEED_EVENTS
    changes = changes[:MAX_FEED_EVENTS]
    links = load_links([change.pk for change in changes])
    calendar = Calendar()
    calendar.add("prodid", "-//ChangePortal//Change calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "ChangePortal changes")
    calendar.add(
        "x-wr-caldesc",
        f"Changes from {start:%Y-%m-%d} to {end:%Y-%m-%d} (UTC)"
        + (f"; only the first {MAX_FEED_EVENTS}, narrow the filters to see the rest" if truncated else ""),
    )
    calendar.add("refresh-interval", timedelta(minutes=15), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT15M")
    for change in changes:
        calendar.add_component(change_event(change, links))
    for occurrence in freeze_occurrences(start=start, end=end, environment_ids=environment_ids(feed.filterset)):
        calendar.add_component(freeze_event(occurrence))
    return calendar.to_ical(), truncated


class ChangeAtomFeed(Feed):
    """The most recently created or edited changes matching the filters, newest first."""

    feed_type = Atom1Feed
    title = "ChangePortal: recently updated changes"
    subtitle = "Changes created or edited most recently, dev and ops together."

    def get_object(self, request, *args, **kwargs):
        queryset = Change.objects.select_related("environment", "team", "requester")
        return feed_request(request, queryset)

    def link(self, obj):
        return absolute(reverse("schedule:calendar"))

    def feed_url(self, obj):
        return absolute(reverse("schedule:feed_atom"))

    def items(self, obj):
        return obj.queryset.order_by("-updated", "-id")[:ATOM_ITEMS]

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
