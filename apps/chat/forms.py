from django import forms

from apps.chat.choices import ChatTopic
from apps.chat.models import ChatChannel


class ChannelForm(forms.ModelForm):
    url = forms.URLField(
        label="Incoming webhook URL",
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text="Stored encrypted and never shown again in full. Leave empty to keep the current one.",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    topics = forms.MultipleChoiceField(
        choices=ChatTopic.choices, widget=forms.CheckboxSelectMultiple, required=False, label="Post about"
    )

    class Meta:
        model = ChatChannel
        fields = ["name", "kind", "team", "topics", "timezone", "quiet_start", "quiet_end", "digest_hour"]
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}),
        }
        help_texts = {"team": "Empty: the portal-wide channel (every team's events; staff only)."}

    def __init__(self, *args, teams, allow_portal_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        team_field.queryset = teams  # type: ignore[attr-defined]
        team_field.required = not allow_portal_wide
        if self.instance.pk is None:
            self.fields["url"].required = True
            self.fields["url"].help_text = "Stored encrypted and never shown again in full."
        else:
            self.fields["url"].help_text += f" Now: {self.instance.url_hint}"


class SlackLinkForm(forms.Form):
    slack_user_id = forms.CharField(
        label="Slack member ID",
        required=False,
        max_length=32,
        help_text="In Slack: your profile → ⋮ → Copy member ID (e.g. U012AB3CDE). Empty: unlink.",
    )
