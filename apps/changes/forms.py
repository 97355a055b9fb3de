from django import forms
from django.utils import timezone

from apps.accounts.models import Team
from apps.changes import hostpicker
from apps.changes.choices import ChangeType, LinkKind
from apps.changes.guidance import guidance_for
from apps.changes.models import Change, ChangeTemplate
from apps.changes.services.review import submission_errors

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
LINK_FIELDS = {"build_url": LinkKind.BUILD, "commit_url": LinkKind.COMMIT, "ticket_url": LinkKind.TICKET}


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class ChangeForm(forms.ModelForm):
    """The requester's form. Hosts arrive as repeated ``hosts`` values from the picker plus a paste box."""

    INTENT_DRAFT, INTENT_SUBMIT = "draft", "submit"

    hosts = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    hosts_paste = forms.CharField(
        required=False,
        label="Paste hostnames",
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "web01, web02\napp01"}),
        help_text="One per line or separated by commas. Unknown names are listed back; none is dropped silently.",
    )
    build_url = forms.URLField(required=False, label="Build", assume_scheme="https")
    commit_url = forms.URLField(required=False, label="Commit", assume_scheme="https")
    ticket_url = forms.URLField(required=False, label="Ticket", assume_scheme="https")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Change
        fields = [
            "kind",
            "change_type",
            "title",
            "environment",
            "team",
            "planned_start",
            "planned_end",
            "risk",
            "artifact",
            "summary",
            "implementation_plan",
            "test_plan",
            "backout_plan",
            "services",
            "freeze_justification",
            "template",
        ]
        widgets = {
            "planned_start": LocalDateTimeInput(),
            "planned_end": LocalDateTimeInput(),
            "summary": forms.Textarea(attrs={"rows": 3}),
            "implementation_plan": forms.Textarea(attrs={"rows": 5}),
            "test_plan": forms.Textarea(attrs={"rows": 3}),
            "backout_plan": forms.Textarea(attrs={"rows": 3}),
            "freeze_justification": forms.Textarea(attrs={"rows": 2}),
            "services": forms.SelectMultiple(attrs={"size": 6}),
            "template": forms.HiddenInput(),
        }
        labels = {"change_type": "Type", "freeze_justification": "Freeze exception justification"}
        help_texts = {
            "artifact": "What is deployed: package and version, build number (e.g. openssl 3.0.13-1).",
            "services": "Every service this change can affect.",  # how to pick: components/multi_select_field.html
            "backout_plan": "Required for production and for high or critical risk.",
            "freeze_justification": "Needed only when the window hits a freeze window.",
        }

    def __init__(self, *args, user=None, intent: str = INTENT_DRAFT, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.intent = intent
        self.unknown_hosts: list[str] = []
        self.resolved_hosts = []
        self.fields["change_type"].choices = [
            (ChangeType.NORMAL, ChangeType.NORMAL.label),
            (ChangeType.EMERGENCY, ChangeType.EMERGENCY.label),
        ]
        from_template = self.data.get("template") if self.is_bound else self.initial.get("template")
        if self.instance.change_type == ChangeType.STANDARD or from_template:
            self.fields["change_type"].choices.append((ChangeType.STANDARD, ChangeType.STANDARD.label))
        teams = Team.objects.order_by("name")
        if user is not None and not user.is_staff:
            teams = teams.filter(memberships__user=user)
        self.fields["team"].queryset = teams
        self.fields["template"].queryset = ChangeTemplate.objects.filter(is_active=True)
        self.fields["team"].required = True
        self.fields["team"].empty_label = None if teams.count() == 1 else "— choose your team —"
        zone = timezone.get_current_timezone_name()
        self.fields["planned_start"].help_text = f"Your time zone: {zone}."
        self.fields["planned_end"].help_text = f"Your time zone: {zone}."
        self.fields["kind"].widget.attrs["aria-describedby"] = "kind-guidance"
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            for name, kind in LINK_FIELDS.items():
                self.fields[name].initial = next(
                    (link["url"] for link in self.instance.links if link.get("kind") == kind), ""
                )
        # The picker posts hostnames; they are validated against the inventory in clean_hosts.
        self.fields["hosts"].choices = [(name, name) for name in self.posted_hostnames()]

    def posted_hostnames(self) -> list[str]:
        if self.is_bound:
            # PostgreSQL refuses NUL in a query: a forged NUL shows as U+FFFD, an unknown name and an invalid choice.
            return hostpicker.normalized(self.data.getlist(self.add_prefix("hosts")))
        return list(self.initial.get("hosts", []))

    @property
    def kind_guidance(self) -> str:
        kind = self.data.get("kind") if self.is_bound else (self.initial.get("kind") or self.instance.kind)
        return guidance_for(kind)

    def clean_hosts(self):
        def linked():  # an edit keeps the hosts the change already names, retired since or not
            return self.instance.host_links.values_list("host__hostname", flat=True) if self.instance.pk else ()

        return hostpicker.clean_picked(self.cleaned_data.get("hosts", []), already=linked)

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
        hosts += [host for host in cleaned.get("hosts_paste") or [] if host.pk not in known]
        self.resolved_hosts = hosts
        cleaned["links"] = [
            {"kind": kind, "url": cleaned[name]} for name, kind in LINK_FIELDS.items() if cleaned.get(name)
        ]
        template = cleaned.get("template")
        if cleaned.get("change_type") == ChangeType.STANDARD and not (template and template.is_standard):
            self.add_error("change_type", "Standard changes are made from a standard template; choose Normal.")
        if self.intent == self.INTENT_SUBMIT and not self.errors:
            candidate = self._candidate(cleaned)
            for field, message in submission_errors(candidate).items():
                self.add_error(field, message)
        return cleaned

    def _candidate(self, cleaned) -> Change:
        """An unsaved copy of the change as it would be, for the submission rules."""
        candidate = Change(
            environment=cleaned.get("environment"),
            risk=cleaned.get("risk") or "",
            backout_plan=cleaned.get("backout_plan") or "",
            freeze_justification=cleaned.get("freeze_justification") or "",
            planned_start=cleaned.get("planned_start"),
            planned_end=cleaned.get("planned_end"),
        )
        return candidate

    def change_fields(self) -> dict:
        """The edited model fields, as the services take them."""
        # The template a change was made from is set once, when it is created.
        skipped = {"services", "template"} if self.instance.pk else {"services"}
        names = [name for name in self.Meta.fields if name not in skipped]
        return {name: self.cleaned_data[name] for name in names} | {"links": self.cleaned_data["links"]}
