"""Saved views: save the page's current filters under a name, delete one. Each belongs to its user alone."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts import services
from apps.accounts.choices import SavedViewPage
from apps.accounts.forms import SavedViewForm
from apps.accounts.models import SavedView


def _back(request, fallback: str):
    """Where the form came from (a same-site ``next``), else ``fallback``."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def saved_view_create(request):
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The view was not saved: {error}")
        return _back(request, reverse("accounts:profile"))
    page = SavedViewPage(form.cleaned_data["page"])
    try:
        view = services.create_saved_view(
            user=request.user, page=page, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, f"The view was not saved: {error}")
        return _back(request, reverse(page.url_name))
    messages.success(
        request, f"Saved the view “{view.name}”. Its link opens these filters for anyone who may see them."
    )
    return redirect(view.get_absolute_url())


@login_required
@require_POST
def saved_view_delete(request, pk: int):
    try:
        view = services.delete_saved_view(user=request.user, view_id=pk)
    except SavedView.DoesNotExist:
        raise Http404("No such saved view of yours.") from None
    messages.success(request, f"Deleted the view “{view.name}”.")
    return _back(request, reverse("accounts:profile"))
