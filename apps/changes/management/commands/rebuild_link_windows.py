"""manage.py rebuild_link_windows: every host and service link takes its change's window again.

For after a bulk load or a repair outside the app (the app itself keeps the copies in step: apps.changes.windows).
Idempotent: a second run finds nothing to fix.
"""

from django.core.management.base import BaseCommand

from apps.changes import windows


class Command(BaseCommand):
    help = "Recompute the window copied onto every change↔host and change↔service link from its change."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=windows.REBUILD_BATCH, help="Change ids per UPDATE (default %(default)s)"
        )

    def handle(self, *args, batch: int, **options):
        fixed = windows.rebuild(batch=batch)
        self.stdout.write(f"{fixed} link row{'s' if fixed != 1 else ''} out of step, now set from their change.")
