from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

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
    return render(request, "accounts/profile.html", {"form": form, "memberships": memberships})


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
