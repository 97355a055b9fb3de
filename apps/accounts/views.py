from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.accounts import login_throttle, services
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
    context = {
        "form": form,
        "memberships": memberships,
        "feed_token": profile_obj.feed_token,
        # Leads and staff issue integration keys (apps.ingest.keys.may_manage_any says the same).
        "can_manage_integration_keys": request.user.is_staff or any(m.is_lead for m in memberships),
    }
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


class RefusableLoginMixin:
    """Lets the view refuse a throttled attempt as an ordinary form error, without the password being checked
    (AuthenticationForm.clean is where the password is checked)."""

    def __init__(self, *args, refusal: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.refusal = refusal

    def clean(self):
        if self.refusal:
            raise ValidationError(self.refusal, code="throttled")
        return super().clean()


class ThrottledAuthenticationForm(RefusableLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(RefusableLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    """The login page, counting attempts per username and client address (apps/accounts/login_throttle.py):
    over the limit, the form answers 429 with a message and the password is not checked."""

    template_name = "accounts/login.html"
    authentication_form = ThrottledAuthenticationForm
    attempt: login_throttle.Attempt | None = None

    def post(self, request, *args, **kwargs):
        username, password = request.POST.get("username", ""), request.POST.get("password", "")
        if username and password:
            self.attempt = login_throttle.begin(username=username, ip=login_throttle.client_ip(request))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.attempt and self.attempt.blocked:
            kwargs["refusal"] = login_throttle.refusal_message(self.attempt.retry_after)
        return kwargs

    def form_valid(self, form):
        if self.attempt:
            login_throttle.succeeded(self.attempt)
        return super().form_valid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if self.attempt and self.attempt.blocked:
            response.status_code = 429
            response["Retry-After"] = str(self.attempt.retry_after)
        elif self.attempt:
            login_throttle.failed(self.attempt)
        return response


class AdminLoginView(ThrottledLoginView):
    """The admin's login with the same throttle. AdminSite.login builds its own LoginView, so apps/accounts/urls.py
    routes /admin/login/ here (the root URLconf includes it before the admin); the context is what
    AdminSite.login passes to the admin template."""

    template_name = "admin/login.html"
    authentication_form = ThrottledAdminAuthenticationForm

    def get(self, request, *args, **kwargs):
        if admin.site.has_permission(request):
            return redirect("admin:index")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        request = self.request
        request.current_app = admin.site.name
        context = super().get_context_data(**kwargs)
        context.update(admin.site.each_context(request))
        context.update(title="Log in", subtitle=None, app_path=request.get_full_path())
        context["username"] = request.user.get_username()
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=admin.site.name)
        return context
