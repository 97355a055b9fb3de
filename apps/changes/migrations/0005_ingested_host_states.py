"""Unplanned changes recorded from change events before per-host states were taken from the event were left with
every host pending. Give them the state their status implies (completed: applied, failed: failed) at the change's
end, with one activity entry per change saying so. Runs once; hosts that someone has set since are left alone."""

from django.db import migrations
from django.db.models import OuterRef, Subquery

STATE_FOR_STATUS = {"completed": "applied", "failed": "failed"}
BATCH = 2000
NOTE = (
    "Host states set from the change event that recorded this change ({state} on {count}): "
    "earlier versions left them pending."
)


def backfill(apps, schema_editor):
    Change = apps.get_model("changes", "Change")
    ChangeHost = apps.get_model("changes", "ChangeHost")
    ChangeActivity = apps.get_model("changes", "ChangeActivity")
    for status, state in STATE_FOR_STATUS.items():
        pending = ChangeHost.objects.filter(
            change__is_unplanned=True, change__status=status, state="pending", state_changed_at__isnull=True
        )
        ids = list(pending.order_by("change_id").values_list("change_id", flat=True).distinct())
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            links = pending.filter(change_id__in=batch)
            names: dict[int, list[str]] = {}
            for change_id, hostname in links.order_by("host__hostname").values_list("change_id", "host__hostname"):
                names.setdefault(change_id, []).append(hostname)
            ends = Change.objects.filter(pk=OuterRef("change_id")).values("eff_end")[:1]
            links.update(state=state, state_changed_at=Subquery(ends))
            ChangeActivity.objects.bulk_create(
                ChangeActivity(
                    change_id=change_id,
                    action="host_state",
                    note=NOTE.format(state=state, count=len(hostnames)),
                    changes={name: {"before": "pending", "after": state} for name in hostnames},
                )
                for change_id, hostnames in names.items()
            )


class Migration(migrations.Migration):
    dependencies = [("changes", "0004_changeservice")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
