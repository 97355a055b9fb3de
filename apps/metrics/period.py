"""What the metrics are asked for: a period of local days cut into weeks, and the filters, read from the URL.

Like the calendar (apps.schedule.state), the whole view lives in the query string, so a URL pasted in a chat opens
the same figures. Days and weeks are the viewer's: a week starts on Monday at local midnight in their time zone;
storage and queries stay UTC. One form validates the page's and the API's parameters alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django import forms
from django.http import QueryDict

from apps.accounts.models import Team
from apps.changes.choices import ChangeKind
from apps.inventory.models import Environment, Service

DEFAULT_DAYS = 90
MAX_DAYS = 731  # two years of weeks: the charts stay readable and every query stays bounded
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
FREQUENCY_SCOPES = {"all": "All kinds", "release": "Releases only"}


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant local ``day`` begins in ``zone``, as a UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the tz database from disk: once


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class MetricsForm(forms.Form):
    # ISO dates only: 03/02/2026 would mean 2 March to some readers and 3 February to others.
    start = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT, help_text="First day (YYYY-MM-DD)."
    )
    end = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], widget=DATE_INPUT, help_text="Last day, included."
    )
    environment = forms.ModelMultipleChoiceField(
        queryset=Environment.objects.all(), to_field_name="slug", required=False, help_text="Default: production."
    )
    team = forms.ModelMultipleChoiceField(queryset=Team.objects.all(), to_field_name="slug", required=False)
    service = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), to_field_name="slug", required=False)
    kind = forms.MultipleChoiceField(choices=ChangeKind.choices, required=False)
    frequency = forms.ChoiceField(choices=list(FREQUENCY_SCOPES.items()), required=False, label="Deployments counted")

    tz = forms.CharField(
        required=False, max_length=64, label="Time zone", help_text="IANA name; default: the viewer's time zone."
    )

    def __init__(self, *args, zone: ZoneInfo, now: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_zone = zone
        self.now = now

    def clean_tz(self) -> ZoneInfo | None:
        name = self.cleaned_data.get("tz", "").strip()
        if not name:
            return None
        if name not in _zone_names():
            raise forms.ValidationError(f"{name!r} is not a time zone name (such as Europe/Berlin).")
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise forms.ValidationError(f"{name!r} is not a time zone name.") from exc

    @property
    def zone(self) -> ZoneInfo:
        return (self.cleaned_data.get("tz") if hasattr(self, "cleaned_data") else None) or self.default_zone

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def clean(self):
        super().clean()
        data = self.cleaned_data
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            return data
        if start > end:
            self.add_error("start", "The first day must not be after the last day.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", f"A period may span at most {MAX_DAYS} days.")
        data["start"], data["end"] = start, end
        return data


@dataclass(frozen=True)
class MetricsQuery:
    """A validated request for metrics: local days [first, last] and the filters."""

    first: date
    last: date
    zone: ZoneInfo
    environments: tuple[Environment, ...]
    teams: tuple[Team, ...] = ()
    services: tuple[Service, ...] = ()
    kinds: tuple[str, ...] = ()
    frequency: str = "all"
    explicit_zone: bool = False  # asked for with ?tz= rather than the viewer's own

    @classmethod
    def from_form(cls, form: MetricsForm) -> MetricsQuery:
        data = form.cleaned_data
        zone = form.zone
        environments = tuple(data.get("environment") or Environment.objects.filter(is_production=True))
        return cls(
            first=data["start"],
            last=data["end"],
            zone=zone,
            environments=environments,
            teams=tuple(data.get("team") or ()),
            services=tuple(data.get("service") or ()),
            kinds=tuple(data.get("kind") or ()),
            frequency=data.get("frequency") or "all",
            explicit_zone=data.get("tz") is not None,
        )

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """Exclusive: the local midnight after the last day."""
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def weeks(self) -> list[date]:
        """The Monday of every week the period touches, oldest first."""
        first, last = monday(self.first), monday(self.last)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    def is_partial(self, week: date) -> bool:
        """The period covers only part of this week (its first or last week)."""
        return week < self.first or week + timedelta(days=6) > self.last

    def params(self) -> QueryDict:
        """The query string that asks for exactly this view (dates written out, so it stays the same tomorrow)."""
        params = QueryDict(mutable=True)
        params["start"], params["end"] = self.first.isoformat(), self.last.isoformat()
        params.setlist("environment", [environment.slug for environment in self.environments])
        for key, values in (
            ("team", [team.slug for team in self.teams]),
            ("service", [service.slug for service in self.services]),
            ("kind", list(self.kinds)),
        ):
            if values:
                params.setlist(key, values)
        if self.frequency != "all":
            params["frequency"] = self.frequency
        if self.explicit_zone:
            params["tz"] = self.zone.key
        return params

    def describe(self) -> str:
        parts = [f"{self.first:%-d %b %Y} – {self.last:%-d %b %Y}", ", ".join(e.name for e in self.environments)]
        parts += [", ".join(team.name for team in self.teams)] if self.teams else []
        parts += [", ".join(service.name for service in self.services)] if self.services else []
        parts += [", ".join(ChangeKind(kind).label for kind in self.kinds)] if self.kinds else []
        return " · ".join(part for part in parts if part)
