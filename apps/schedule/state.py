"""What the calendar shows: view, anchor date, timeline grouping and filters, read from and written to the URL.

Every link the calendar renders (prev/next/today, view and grouping switches, feeds, CSV) is built here from
one ``CalendarState``, so a URL pasted in a chat opens exactly the same view. Day boundaries are local
midnights in the viewer's time zone; storage and queries stay UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.http import QueryDict

from apps.changes.filtersets import ChangeFilterSet

VIEWS = {"month": "Month", "week": "Week", "day": "Day", "timeline": "Timeline"}
GROUPS = {"team": "Team", "service": "Service", "environment": "Environment", "host": "Host"}
SPANS = {"day": "Day", "week": "Week"}
DEFAULT_VIEW, DEFAULT_GROUP, DEFAULT_SPAN = "week", "team", "week"
# Parameters of the calendar itself; everything else the filterset knows is a filter.
STATE_KEYS = ("view", "date", "group", "span")
FILTER_KEYS = tuple(name for name in ChangeFilterSet.base_filters if name not in ("window_start", "window_end"))


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant local ``day`` begins in ``zone``, as a UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def filter_params(params: QueryDict) -> QueryDict:
    """The filter part of a query string: known filter names with non-empty values, in a stable order."""
    kept = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values)
    return kept


def _parse_date(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class CalendarState:
    view: str
    anchor: date
    group: str
    span: str
    filters: QueryDict
    zone: ZoneInfo
    today: date

    @classmethod
    def from_params(cls, params: QueryDict, *, zone: ZoneInfo, now: datetime) -> CalendarState:
        today = now.astimezone(zone).date()
        view = params.get("view", DEFAULT_VIEW)
        group = params.get("group", DEFAULT_GROUP)
        span = params.get("span", DEFAULT_SPAN)
        return cls(
            view=view if view in VIEWS else DEFAULT_VIEW,
            anchor=_parse_date(params.get("date"), today),
            group=group if group in GROUPS else DEFAULT_GROUP,
            span=span if span in SPANS else DEFAULT_SPAN,
            filters=filter_params(params),
            zone=zone,
            today=today,
        )

    # --- the visible window -------------------------------------------------
    @property
    def unit(self) -> str:
        """What prev/next moves by: a month, a week or a day."""
        if self.view == "timeline":
            return self.span
        return self.view

    @property
    def days(self) -> list[date]:
        """Every local day shown; the month view shows whole weeks around the month."""
        if self.unit == "day":
            first, count = self.anchor, 1
        elif self.unit == "week":
            first, count = self.anchor - timedelta(days=self.anchor.weekday()), 7
        else:
            month_first = self.anchor.replace(day=1)
            first = month_first - timedelta(days=month_first.weekday())
            month_last = _add_months(month_first, 1) - timedelta(days=1)
            last = month_last + timedelta(days=6 - month_last.weekday())
            count = (last - first).days + 1
        return [first + timedelta(days=offset) for offset in range(count)]

    @property
    def start(self) -> datetime:
        return local_midnight(self.days[0], self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.days[-1] + timedelta(days=1), self.zone)

    @property
    def period_name(self) -> str:
        return {"month": "month", "week": "week", "day": "day"}[self.unit]

    @property
    def title(self) -> str:
        if self.unit == "month":
            return self.anchor.strftime("%B %Y")
        if self.unit == "day":
            return f"{self.anchor:%A} {self.anchor.day} {self.anchor:%B %Y}"
        first, last = self.days[0], self.days[-1]
        week = f"Week {first.isocalendar().week}"
        if first.month == last.month:
            return f"{week} · {first.day} – {last.day} {last:%B %Y}"
        if first.year == last.year:
            return f"{week} · {first.day} {first:%b} – {last.day} {last:%b %Y}"
        return f"{week} · {first.day} {first:%b %Y} – {last.day} {last:%b %Y}"

    def _shifted(self, steps: int) -> date:
        if self.unit == "month":
            return _add_months(self.anchor, steps)
        return self.anchor + timedelta(days=steps * (7 if self.unit == "week" else 1))

    # --- URLs ---------------------------------------------------------------
    def query(self, **changes) -> str:
        """The query string of this state with ``changes`` applied (view, anchor, group, span)."""
        state = replace(self, **changes)
        params = QueryDict(mutable=True)
        params["view"] = state.view
        params["date"] = state.anchor.isoformat()
        if state.view == "timeline":
            params["group"] = state.group
            params["span"] = state.span
        for key in state.filters:
            params.setlist(key, state.filters.getlist(key))
        return params.urlencode()

    @property
    def prev_query(self) -> str:
        return self.query(anchor=self._shifted(-1))

    @property
    def next_query(self) -> str:
        return self.query(anchor=self._shifted(1))

    @property
    def today_query(self) -> str:
        return self.query(anchor=self.today)

    @property
    def filter_query(self) -> str:
        """Only the filters: what the feeds and the CSV export take."""
        return self.filters.urlencode()

    @property
    def reset_query(self) -> str:
        return replace(self, filters=QueryDict()).query()

    def view_links(self) -> list[dict]:
        return [
            {"label": label, "query": self.query(view=key), "active": key == self.view} for key, label in VIEWS.items()
        ]

    def group_links(self) -> list[dict]:
        return [
            {"label": label, "query": self.query(group=key), "active": key == self.group}
            for key, label in GROUPS.items()
        ]

    def span_links(self) -> list[dict]:
        return [
            {"label": label, "query": self.query(span=key), "active": key == self.span} for key, label in SPANS.items()
        ]

    def day_query(self, day: date) -> str:
        """Open one day in the day view (from a month cell or a week header)."""
        return self.query(view="day", anchor=day)
