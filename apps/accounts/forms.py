import zoneinfo

from django import forms

from apps.accounts.choices import SavedViewPage, Theme
from apps.accounts.models import UserProfile


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        required=False,
        choices=[("", "Server default")] + [(name, name) for name in sorted(zoneinfo.available_timezones())],
        help_text="Times are shown and entered in this zone.",
    )

    # Not required: a form that posts only the time zone (an older page, a script) keeps the current theme.
    theme = forms.ChoiceField(
        required=False,
        choices=Theme.choices,
        label="Colour scheme",
        help_text="Dark pages for night shifts; printing stays light.",
    )

    class Meta:
        model = UserProfile
        fields = ["time_zone", "theme"]

    def clean_theme(self) -> str:
        return self.cleaned_data.get("theme") or self.instance.theme or Theme.SYSTEM


class SavedViewForm(forms.Form):
    """Save the page's current query string under a name. The query is checked and trimmed by the service."""

    name = forms.CharField(max_length=80, strip=True, error_messages={"required": "Give the view a name."})
    page = forms.ChoiceField(choices=SavedViewPage.choices)
    query = forms.CharField(required=False, max_length=4000, strip=True)
