from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from apps.changes import state_machine
from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.dashboard.next_actions import next_actions_for


@login_required
def home(request):
    now = timezone.now()
    base = Change.objects.select_related("environment", "team").order_by("eff_start", "id")
    context = {
        "in_progress": base.filter(status=ChangeStatus.IN_PROGRESS)[:20],
        "upcoming": base.active().filter(eff_start__gte=now, eff_start__lt=now + timedelta(days=7))[:20],
        "awaiting_approval": base.filter(status=ChangeStatus.SUBMITTED)[:20],
        "recent": Change.objects.select_related("environment", "team")
        .filter(eff_end__lte=now, eff_end__gte=now - timedelta(days=3))
        .exclude(status__in=state_machine.NEVER_RAN)
        .order_by("-eff_end", "-id")[:20],
        "now": now,
        "next_actions": next_actions_for(request.user, now=now),
    }
    return render(request, "dashboard/home.html", context)
