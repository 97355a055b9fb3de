"""Profile → API tokens: create (the token is shown once), list and revoke your own tokens."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.accounts import tokens
from apps.accounts.choices import TokenScope
from apps.accounts.models import ApiToken

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("", "Never")]


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. 'release pipeline'.")
    scope = forms.ChoiceField(
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="Read only: list and read. Read and write: everything you may do (changes, host states, change "
        "events). Read, and write hosts and services (staff only): for an inventory sync; it reads everything but "
        "may write nothing else.",
    )
    expires_in = forms.ChoiceField(choices=EXPIRY_CHOICES, required=False, initial="90", label="Expires after")

    def expires_at(self):
        days = self.cleaned_data.get("expires_in")
        return timezone.now() + timedelta(days=int(days)) if days else None

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_staff:  # the inventory scope grants inventory writes: staff only
            self.fields["scope"].choices = [c for c in TokenScope.choices if c[0] != TokenScope.INVENTORY]


def _page(request, form, new_token=None, status=200):
    context = {
        "form": form,
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created", "-id"),
        "new_token": new_token,
        "now": timezone.now(),
    }
    return render(request, "accounts/api_tokens.html", context, status=status)


@login_required
def api_tokens(request):
    if request.method != "POST":
        return _page(request, ApiTokenForm(user=request.user))
    form = ApiTokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    # Rendered, not redirected: the plaintext is never stored anywhere, not even in the session.
    new_token = tokens.create_api_token(
        user=request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        expires_at=form.expires_at(),
    )
    return _page(request, ApiTokenForm(user=request.user), new_token=new_token)


@login_required
@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_api_token(token=token)
    messages.success(request, f"Token “{token.name}” revoked: requests with it now get 401.")
    return redirect("accounts:api_tokens")
