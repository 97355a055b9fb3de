import re

from django import forms
from django.utils import timezone

from apps.changes import hostpicker
from apps.changes.forms import LocalDateTimeInput
from apps.changes.models import Change
from apps.incidents.choices import FindingRole, Verdict
from apps.incidents.models import DEFAULT_WINDOW_HOURS, MAX_WINDOW_HOURS, Incident
from apps.inventory.models import Service


def _zone_help() -> str:
    return f"Your time zone: {timezone.get_current_timezone_name()}."


class LookupForm(forms.Form):
    """What changed on a host: the time is entered in the user's zone; empty means now."""

    host = forms.CharField(label="Host", max_length=253, required=False)
    at = forms.DateTimeField(
        label="Incident start", required=False, widget=LocalDateTimeInput(), help_text="Empty: now."
    )
    hours = forms.IntegerField(
        label="Look back (hours)", min_value=1, max_value=MAX_WINDOW_HOURS, required=False, initial=DEFAULT_WINDOW_HOURS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].help_text = f"Empty: now. {_zone_help()}"

    def clean_host(self):
        return self.cleaned_data["host"].strip().lower()

    def clean_hours(self):
        return self.cleaned_data["hours"] or DEFAULT_WINDOW_HOURS


class IncidentForm(forms.ModelForm):
    """Hosts come from the change form's picker (apps.changes.hostpicker), with its rules: an incident is about
    hosts in service now, so a retired host is refused like on a new change."""

    hosts = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    hosts_paste = forms.CharField(required=False, widget=forms.Textarea, label="Paste hostnames")
    bridge_url = forms.URLField(
        required=False, assume_scheme="https", label="Bridge link", help_text="The call or chat room, if any."
    )

    class Meta:
        model = Incident
        fields = ["title", "severity", "started_at", "window_hours", "services", "bridge_url"]
        widgets = {"started_at": LocalDateTimeInput(), "services": forms.SelectMultiple(attrs={"size": 5})}
        labels = {"started_at": "Symptoms began", "window_hours": "Look back (hours)", "bridge_url": "Bridge link"}
        # How to pick several is said by components/multi_select_field.html, for the native list or the picker.
        help_texts = {"services": "Affected services, if not every host is known."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["started_at"].help_text = _zone_help()
        self.fields["services"].queryset = Service.objects.order_by("name")
        self.fields["hosts"].choices = [(name, name) for name in self.posted_hostnames()]
        self.unknown_hosts: list[str] = []
        self.resolved_hosts = []

    def posted_hostnames(self) -> list[str]:
        if self.is_bound:
            return hostpicker.normalized(self.data.getlist("hosts"))
        return list(self.initial.get("hosts", []))

    def clean_hosts(self):
        return hostpicker.clean_picked(self.cleaned_data.get("hosts", []))

    def clean_hosts_paste(self):
        try:
            return hostpicker.clean_pasted(self.cleaned_data.get("hosts_paste", ""))
        except hostpicker.PastedUnknown as exc:
            self.unknown_hosts = exc.unknown
            raise

    def clean(self):
        cleaned = super().clean()
        hosts = list(cleaned.get("hosts") or [])
        known = {host.pk for host in hosts}
        self.resolved_hosts = hosts + [host for host in cleaned.get("hosts_paste") or [] if host.pk not in known]
        if not self.errors and not self.resolved_hosts and not cleaned.get("services"):
            raise forms.ValidationError("Name at least one affected host or service: suspects are found through them.")
        return cleaned


class MarkForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
    note = forms.CharField(max_length=2000, strip=True)


class NoteForm(forms.Form):
    text = forms.CharField(max_length=4000, strip=True, widget=forms.Textarea(attrs={"rows": 2}))


class BackoutForm(forms.Form):
    note = forms.CharField(max_length=4000, strip=True)


class RollbackForm(forms.Form):
    hosts = forms.MultipleChoiceField(choices=())
    note = forms.CharField(max_length=500, required=False, strip=True)

    def __init__(self, *args, hostnames=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hosts"].choices = [(name, name) for name in hostnames]


CHANGE_REFERENCE = re.compile(r"^\s*(?:chg-?\s*)?(\d{1,12})\s*$", re.IGNORECASE)


def change_from_reference(text: str) -> Change:
    """'CHG-42', 'chg42' or '42' -> the change; a clear message otherwise (used by the form and the API)."""
    match = CHANGE_REFERENCE.match(text or "")
    if match is None:
        raise forms.ValidationError("Give a change number such as CHG-42.")
    change = Change.objects.select_related("environment").filter(pk=int(match.group(1))).first()
    if change is None:
        raise forms.ValidationError(f"There is no change CHG-{int(match.group(1))}.")
    return change


class FindingForm(forms.Form):
    role = forms.ChoiceField(choices=FindingRole.choices, label="Finding")
    change = forms.CharField(
        max_length=30, label="Change", help_text="Its number, e.g. CHG-42: any change, listed or not."
    )
    note = forms.CharField(max_length=4000, strip=True, label="How it was confirmed")

    def clean_change(self) -> Change:
        return change_from_reference(self.cleaned_data["change"])


class WithdrawFindingForm(forms.Form):
    note = forms.CharField(max_length=4000, strip=True, label="Why it no longer stands")
