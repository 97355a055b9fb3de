"""The context of the calendar page: state, filters, the visible entries and the grid of the chosen view."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from apps.accounts.models import UserProfile
from apps.changes.choices import ChangeKind
from apps.changes.filtersets import ChangeFilterSet
from apps.schedule.calendar import build_month, build_time_grid
from apps.schedule.state import CalendarState
from apps.schedule.timeline import build_timeline
from apps.schedule.visible import chosen_environments, load_visible


def feed_token_of(user) -> str | None:
    """The user's feed token, if any (the time-zone middleware has already loaded the profile)."""
    try:
        return user.profile.feed_token
    except UserProfile.DoesNotExist:
        return None


def feed_links(*, token: str | None, filter_query: str) -> dict[str, str]:
    """ICS and Atom subscription URLs for these filters, or nothing without a token."""
    if not token:
        return {}
    query = f"token={token}" + (f"&{filter_query}" if filter_query else "")
    return {
        "ics": f"{reverse('schedule:feed_ics')}?{query}",
        "atom": f"{reverse('schedule:feed_atom')}?{query}",
    }


def calendar_context(*, state: CalendarState, filterset: ChangeFilterSet, user, now: datetime) -> dict:
    valid = not filterset.is_bound or filterset.is_valid()
    queryset = filterset.qs if filterset.is_bound and valid else filterset.queryset
    visible = load_visible(
        queryset=queryset,
        start=state.start,
        end=state.end,
        zone=state.zone,
        environments=chosen_environments(filterset) if valid else None,
    )
    context = {
        "state": state,
        "filterset": filterset,
        "visible": visible,
        "kinds": [(label, ChangeKind.colors()[value]) for value, label in ChangeKind.choices],
        "feeds": feed_links(token=feed_token_of(user), filter_query=state.filter_query),
        "export_query": state.filter_query,
    }
    if state.view == "month":
        weeks = build_month(
            visible.entries, visible.freezes, days=state.days, month=state.anchor.month, zone=state.zone, now=now
        )
        context["weeks"] = weeks
        linked = [cell for week in weeks for cell in week]
    elif state.view == "timeline":
        timeline = build_timeline(
            visible.entries, visible.freezes, days=state.days, group=state.group, zone=state.zone, now=now
        )
        context["timeline"] = timeline
        linked = timeline.ticks
    else:
        grid = build_time_grid(visible.entries, visible.freezes, days=state.days, zone=state.zone, now=now)
        context["grid"] = grid
        linked = grid.days
    for item in linked:
        item.query = state.day_query(item.day)
    return context
