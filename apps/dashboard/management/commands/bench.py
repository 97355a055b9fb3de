"""`python manage.py bench`: load a synthetic history into a bench database and measure the app against raw SQL.

Run through `make bench` (which points DATABASE_URL at postgres://postgres@127.0.0.1:5432/changeportal_bench
unless it is set). The database is created if missing, migrated, EMPTIED and loaded; see bench/ and the README.
"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench import load, report
from bench.generate import SCALES
from bench.runner import Options, Runner


class Command(BaseCommand):
    help = "Benchmark the hot paths against the raw-database limit on a synthetic history (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", choices=sorted(SCALES), default="default", help="tiny, small (100k), default (1M) or large (10M)"
        )
        parser.add_argument(
            "--output", type=Path, default=settings.BASE_DIR / "docs" / "benchmarks.md", help="Markdown file to write"
        )
        parser.add_argument("--skip-load", action="store_true", help="Measure the data already loaded (no growth)")
        parser.add_argument("--duration", type=float, default=20.0, help="Seconds of ingest load, app and raw each")
        parser.add_argument("--no-growth", action="store_true", help="Load everything at once; skip the 1/10 phase")
        parser.add_argument("--seed", type=int, default=8)
        parser.add_argument("--clients", type=int, default=8, help="Concurrent HTTP clients for the ingest")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (and raw insert connections)")

    def _progress(self, text: str) -> None:
        self.stdout.write(f"[{time.monotonic() - self._started:6.1f} s] {text}")
        self.stdout.flush()

    def handle(self, *args, **options):
        self._started = time.monotonic()
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench needs PostgreSQL; DATABASE_URL points at {connection.vendor}. "
                "Run `make bench` or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/changeportal_bench."
            )
        if load.ensure_database(connection.settings_dict):
            self.stdout.write(f"Created database {connection.settings_dict['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        runner = Runner(
            Options(
                scale=options["scale"],
                output=options["output"],
                skip_load=options["skip_load"],
                duration=options["duration"],
                seed=options["seed"],
                growth=not options["no_growth"],
                clients=options["clients"],
                workers=options["workers"],
            ),
            out=self._progress,
        )
        try:
            run = runner.run()
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            runner.close()
        report.write(options["output"], run)
        self.stdout.write("\n" + report.console(run) + "\n")
        self.stdout.write(self.style.SUCCESS(f"Written to {options['output']}"))
