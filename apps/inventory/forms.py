from django import forms

from apps.inventory.sync import FORMATS

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class HostImportForm(forms.Form):
    """An inventory file to preview, then apply: the preview carries the file's text on in ``content``."""

    source = forms.FileField(required=False, help_text="CSV, Ansible inventory JSON or one NetBox list page.")
    content = forms.CharField(required=False, widget=forms.HiddenInput)
    format = forms.ChoiceField(choices=[(kind, kind) for kind in FORMATS])
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Optional JSON: {"services": {"webservers": "billing-web"}, "tags": {}, "environments": {}}.',
    )
    retire_missing = forms.BooleanField(required=False, help_text="Make active hosts absent from the file inactive.")

    def clean(self):
        data = super().clean()
        upload = data.get("source")
        if upload:
            if upload.size > MAX_UPLOAD_BYTES:
                raise forms.ValidationError("The file is larger than 20 MB.")
            try:
                data["content"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise forms.ValidationError("The file is not UTF-8 text.") from exc
        if not data.get("content"):
            raise forms.ValidationError("Choose a file.")
        return data
