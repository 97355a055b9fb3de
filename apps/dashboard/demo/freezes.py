"""Freeze windows of the demo: the one the outage caused and a finance close ahead."""

from datetime import UTC, datetime, time, timedelta

from apps.changes.models import FreezeWindow
from apps.dashboard.demo.inventory import Inventory
from apps.dashboard.demo.story import FINANCE_CLOSE_FREEZE_NAME, POST_INCIDENT_FREEZE_NAME


def ensure_freeze_windows(*, now: datetime, times: dict[str, datetime], inventory: Inventory) -> list[FreezeWindow]:
    """Created before the changes, so work planned into a freeze asks for an exception as it would for real."""
    close_start = datetime.combine(now.astimezone(UTC).date() + timedelta(days=9), time(), tzinfo=UTC)
    specs = (
        (
            POST_INCIDENT_FREEZE_NAME,
            times["service_restored"],
            times["post_incident_freeze_end"],
            "No changes to billing production until the post-mortem is done.",
            times["service_restored"],
        ),
        (
            FINANCE_CLOSE_FREEZE_NAME,
            close_start,
            close_start + timedelta(days=3),
            "Finance closes the books: no production changes without a freeze exception.",
            times["firewall_start"],
        ),
    )
    windows = []
    for name, start, end, reason, created_at in specs:
        window, created = FreezeWindow.objects.get_or_create(
            name=name, defaults={"start": start, "end": end, "reason": reason, "created": min(created_at, now)}
        )
        if created:
            window.environments.set([inventory.environments["prod"]])
        windows.append(window)
    return windows
