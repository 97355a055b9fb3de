from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.accounts import services
from apps.accounts.forms import ProfileForm
from apps.accounts.models import Team, TeamMembership, UserProfile


@login_required
def profile(request):
    profile_obj, _ = UserProfile.objects.get_or_create(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile_obj)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    memberships = TeamMembership.objects.filter(user=request.user).select_related("team")
    context = {"form": form, "memberships": memberships, "feed_token": profile_obj.feed_token}
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def feed_token_regenerate(request):
    services.regenerate_feed_token(user=request.user)
    messages.success(request, "New feed link created. Links with the previous token no longer work.")
    return redirect("accounts:profile")


@login_required
@require_POST
def feed_token_revoke(request):
    services.revoke_feed_token(user=request.user)
    messages.success(request, "Feed link revoked. Calendar subscriptions using it stop updating.")
    return redirect("accounts:profile")


@login_required
def team_list(request):
    teams = Team.objects.prefetch_related("memberships__user")
    return render(request, "accounts/team_list.html", {"teams": teams})


@login_required
def team_detail(request, slug):
    team = get_object_or_404(Team, slug=slug)
    memberships = team.memberships.select_related("user")
    recent = team.changes.select_related("environment").order_by("-eff_start", "-id")[:25]
    return render(request, "accounts/team_detail.html", {"team": team, "memberships": memberships, "recent": recent})
