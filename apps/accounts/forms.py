import zoneinfo

from django import forms

from apps.accounts.models import UserProfile


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        required=False,
        choices=[("", "Server default")] + [(name, name) for name in sorted(zoneinfo.available_timezones())],
        help_text="Times are shown and entered in this zone.",
    )

    class Meta:
        model = UserProfile
        fields = ["time_zone"]
