"""Integration keys page (/integrations/): leads and staff create keys (shown once), see and revoke them."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.models import Team
from apps.changes.choices import ChangeKind
from apps.changes.exceptions import ChangeForbidden
from apps.ingest import keys
from apps.ingest.models import IntegrationKey
from apps.inventory.models import Environment, Service

FORBIDDEN = "Integration keys are managed by team leads and staff."


class IntegrationKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will send with it, e.g. 'GitHub Actions: billing'.")
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, help_text="Its changes' team.")
    environment = forms.ModelChoiceField(queryset=Environment.objects.order_by("order"), empty_label=None)
    service = forms.ModelChoiceField(
        queryset=Service.objects.order_by("name"), required=False, help_text="Its changes are linked to it."
    )
    kind = forms.ChoiceField(choices=ChangeKind.choices, initial=ChangeKind.RELEASE)
    host_field = forms.CharField(
        max_length=100,
        required=False,
        initial="custom_details.hosts",
        help_text="Where events name their hosts: custom_details.<key> or payload.source; empty for none.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = Team.objects.order_by("name")
        self.fields["team"].queryset = (
            teams if user.is_staff or user.is_superuser else teams.filter(pk__in=keys.led_team_ids(user))
        )
        if not (user.is_staff or user.is_superuser):
            self.fields["team"].required = True
            self.fields["team"].empty_label = None
        # Like the change form: production first, since that is where the bridge looks.
        self.fields["environment"].initial = Environment.objects.filter(is_production=True).order_by("order").first()

    def clean_host_field(self):
        try:
            return keys.validate_host_field(self.cleaned_data["host_field"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["host_field"]) from exc


def _page(request, form, new_key=None, status=200):
    context = {
        "form": form,
        "keys": keys.visible_keys(request.user),
        "new_key": new_key,
        "site_url": settings.SITE_URL,
    }
    return render(request, "ingest/integration_keys.html", context, status=status)


@login_required
def integration_keys(request):
    if not keys.may_manage_any(request.user):
        return HttpResponseForbidden(FORBIDDEN)
    if request.method != "POST":
        return _page(request, IntegrationKeyForm(user=request.user))
    form = IntegrationKeyForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    # Rendered, not redirected: the plaintext is never stored anywhere, not even in the session.
    new_key = keys.create_integration_key(actor=request.user, **form.cleaned_data)
    return _page(request, IntegrationKeyForm(user=request.user), new_key=new_key)


@login_required
@require_POST
def integration_key_revoke(request, pk):
    key = get_object_or_404(IntegrationKey, pk=pk)
    try:
        keys.revoke_integration_key(actor=request.user, key=key)
    except ChangeForbidden as exc:
        return HttpResponseForbidden(exc.message)
    messages.success(request, f"Key “{key.name}” revoked: events sent with it are now refused.")
    return redirect("ingest:integration_keys")
