"""manage.py rebuild_environment_wide: every change's environment_wide flag recomputed from its link rows.

For after a bulk load or a repair outside the app (the app itself keeps the flag in step:
apps.changes.environment_wide). Idempotent: a second run finds nothing to fix.
"""

from django.core.management.base import BaseCommand

from apps.changes import environment_wide


class Command(BaseCommand):
    help = "Recompute Change.environment_wide (no host and no service linked) from the link rows."

    def handle(self, *args, **options):
        fixed = environment_wide.rebuild()
        self.stdout.write(f"{fixed} change{'s' if fixed != 1 else ''} out of step, now set from their links.")
