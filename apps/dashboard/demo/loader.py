"""Load the whole demo in one transaction, once: a second run finds the story's release and adds nothing."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import Team
from apps.approvals.models import Approval
from apps.changes.models import Change, ChangeActivity, ChangeHost, FreezeWindow
from apps.dashboard.demo.approvals import ensure_approval_setup
from apps.dashboard.demo.background import build_background
from apps.dashboard.demo.findings import build_findings
from apps.dashboard.demo.freezes import ensure_freeze_windows
from apps.dashboard.demo.inventory import ensure_inventory
from apps.dashboard.demo.next_steps import build_next_steps
from apps.dashboard.demo.ops_history import build_ops_history
from apps.dashboard.demo.people import USERS, DemoUser, ensure_people
from apps.dashboard.demo.release_night import build_release_night
from apps.dashboard.demo.story import RELEASE_TITLE, story_times
from apps.events.models import OutboxEvent
from apps.incidents.models import Incident
from apps.inventory.models import Host, Service

DEMO_SEED = 2026


@dataclass(frozen=True)
class DemoReport:
    already_loaded: bool
    counts: dict[str, int]
    changes_by_status: dict[str, int]
    logins: tuple[DemoUser, ...]


def is_demo_loaded() -> bool:
    return Change.objects.filter(title=RELEASE_TITLE).exists()


def load_demo(*, now: datetime | None = None) -> DemoReport:
    """Seed the demo anchored to ``now`` (default: the current time), unless it is already there."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be timezone-aware.")
    with transaction.atomic():
        already_loaded = is_demo_loaded()
        if not already_loaded:
            people = ensure_people()
            ensure_approval_setup()
            inventory = ensure_inventory(teams=people.teams)
            times = story_times(now)
            ensure_freeze_windows(now=now, times=times, inventory=inventory)
            build_ops_history(times=times, inventory=inventory, people=people)
            build_release_night(times=times, inventory=inventory, people=people)
            build_background(now=now, inventory=inventory, people=people, seed=DEMO_SEED)
            build_findings(times=times, inventory=inventory, people=people)
            # Last: what each login finds waiting for them now (after the history it stands on).
            build_next_steps(now=now, inventory=inventory, people=people)
            # The demo's history is in the past: nobody is to be emailed or called back about it.
            OutboxEvent.objects.filter(dispatched_at__isnull=True).update(dispatched_at=now)
    return DemoReport(
        already_loaded=already_loaded,
        counts=current_counts(),
        changes_by_status={
            row["status"]: row["total"]
            for row in Change.objects.order_by("status").values("status").annotate(total=Count("id"))
        },
        logins=USERS,
    )


def current_counts() -> dict[str, int]:
    return {
        "hosts": Host.objects.count(),
        "services": Service.objects.count(),
        "teams": Team.objects.count(),
        "users": get_user_model().objects.count(),
        "changes": Change.objects.count(),
        "change-host links": ChangeHost.objects.count(),
        "activity entries": ChangeActivity.objects.count(),
        "approvals": Approval.objects.count(),
        "incidents": Incident.objects.count(),
        "freeze windows": FreezeWindow.objects.count(),
    }
