import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.audit.choices import AuditVia
from apps.chat import interactivity, services, slack
from apps.chat.forms import ChannelForm, SlackLinkForm
from apps.chat.models import ChatChannel, ChatDelivery

DELIVERIES_PER_PAGE = 50


def _visible_channels(user):
    channels = ChatChannel.objects.select_related("team", "owner")
    if user.is_staff:
        return channels
    return channels.filter(team__in=services.managed_teams(user))


@login_required
def channel_list(request):
    channels = list(_visible_channels(request.user))
    teams = services.managed_teams(request.user)
    return render(
        request,
        "chat/channel_list.html",
        {"channels": channels, "can_add": request.user.is_staff or teams.exists()},
    )


@login_required
def channel_form(request, pk=None):
    channel = get_object_or_404(_visible_channels(request.user), pk=pk) if pk else ChatChannel()
    teams = services.managed_teams(request.user)
    if pk is None and not (request.user.is_staff or teams.exists()):
        raise PermissionDenied("Only team leads and staff set up chat channels.")
    form = ChannelForm(request.POST or None, instance=channel, teams=teams, allow_portal_wide=request.user.is_staff)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_channel(
                actor=request.user, channel=form.save(commit=False), url=form.cleaned_data["url"], via=AuditVia.UI
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"Chat channel “{saved.name}” saved.")
            return redirect("chat:channel_list")
    return render(request, "chat/channel_form.html", {"form": form, "channel": channel})


@login_required
@require_POST
def channel_active(request, pk):
    channel = get_object_or_404(_visible_channels(request.user), pk=pk)
    active = request.POST.get("active") == "1"
    services.set_active(actor=request.user, channel=channel, active=active, via=AuditVia.UI)
    messages.success(request, f"“{channel.name}” {'switched on' if active else 'switched off'}.")
    return redirect("chat:channel_list")


@login_required
def channel_deliveries(request, pk):
    """The attempt log of one channel: staff, and the leads who manage it."""
    channel = get_object_or_404(_visible_channels(request.user), pk=pk)
    deliveries = ChatDelivery.objects.filter(channel=channel).prefetch_related("attempt_log").order_by("-id")
    status = request.GET.get("status", "")
    if status:
        deliveries = deliveries.filter(Q(status=status))
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {"channel": channel, "page": page, "status": status, "query": f"status={status}" if status else ""}
    if request.htmx and not request.htmx.boosted:
        return render(request, "chat/partials/deliveries_table.html", context)
    return render(request, "chat/channel_deliveries.html", context)


@login_required
def slack_link(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SlackLinkForm(request.POST)
    if form.is_valid():
        try:
            link = services.link_slack_user(
                actor=request.user, slack_user_id=form.cleaned_data["slack_user_id"], via=AuditVia.UI
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Slack member {link.slack_user_id} linked." if link else "Slack unlinked.")
    else:
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    return redirect("accounts:profile")


@csrf_exempt  # Slack cannot send our CSRF token; the request's Slack signature is checked instead
def slack_interactivity(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    refusal = slack.verify(
        body=request.body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        given=request.headers.get("X-Slack-Signature"),
    )
    if refusal:
        return JsonResponse({"error": refusal}, status=401)
    try:
        payload = json.loads(request.POST.get("payload", ""))
    except ValueError:
        return JsonResponse({"error": "The body has no JSON payload field."}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The payload is not a JSON object."}, status=400)
    status, body = interactivity.handle(payload)
    # Slack wants an empty 200 for a handled click; a modal submission may answer with its field errors.
    return HttpResponse(status=status) if body is None else JsonResponse(body, status=status)
