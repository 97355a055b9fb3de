"""``manage.py import_inventory SOURCE…``: upsert hosts by hostname from a CSV, an Ansible inventory JSON or NetBox
list pages, all or nothing (see the README's "Inventory import")."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress

from apps.audit.choices import AuditVia
from apps.inventory import importers, sync
from apps.platform.errors import DomainError

EXIT_INVALID = 2  # some rows are invalid: nothing was written


def _value(value) -> str:
    if isinstance(value, list):
        return ";".join(value) or "(none)"
    return "(none)" if value in (None, "") else str(value)


class Command(BaseCommand):
    help = "Create or update hosts from an inventory source (csv, ansible, netbox), all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("sources", nargs="*", help="The file to read (netbox: one or more list pages).")
        parser.add_argument("--netbox-url", help="Fetch the devices and virtual machines from this NetBox instead.")
        parser.add_argument("--netbox-token", default="", help="The NetBox API token (with --netbox-url).")
        parser.add_argument("--format", choices=sync.FORMATS, default=None, help="Default: by name.")
        parser.add_argument("--mapping", help="JSON or YAML {services|tags|environments: {group: slug}}.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would change; write nothing.")
        parser.add_argument("--retire-missing", action="store_true", help="Mark absent hosts inactive.")
        parser.add_argument(
            "--environment", action="append", default=[], help="Limit --retire-missing to this environment."
        )
        parser.add_argument("--actor", help="Username recorded in the audit log (default: none, via command).")

    def handle(self, *args, **options):
        rows = self._rows(options)
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['actor']}.")
        plan = sync.plan(rows, retire_missing=options["retire_missing"], environments=options["environment"])
        for position, name, reason in plan.errors:
            self.stderr.write(f"{position}: {name}: {reason}")
        if plan.errors:
            self.stdout.write(f"Nothing written: {plan.summary()}")
            raise CommandError(f"{len(plan.errors)} invalid rows, nothing written.", returncode=EXIT_INVALID)
        if options["dry_run"] or options["verbosity"] > 1:
            self._report(plan)
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written: {plan.summary()}")
            return
        source = " ".join(Path(name).name for name in options["sources"]) or options["netbox_url"]
        total = len(plan.created) + len(plan.updated) + len(plan.retired)
        with Progress(disable=total < 2000 or not self.stdout.isatty(), transient=True) as progress:
            task = progress.add_task("Importing", total=total)
            try:
                sync.apply(
                    plan,
                    actor=actor,
                    via=AuditVia.COMMAND,
                    note=f"import_inventory {source}",
                    progress=lambda n: progress.advance(task, n),
                )
            except (sync.ImportFailed, DomainError) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(plan.summary()))

    def _rows(self, options) -> list[importers.Row]:
        sources = options["sources"]
        if bool(sources) == bool(options["netbox_url"]):
            raise CommandError("Give either source files or --netbox-url.")
        if options["netbox_url"]:
            kind = "netbox"
        else:
            kind = options["format"] or ("csv" if sources[0].lower().endswith(".csv") else None)
        if kind is None:
            raise CommandError("Say --format csv, ansible or netbox.")
        try:
            if options["netbox_url"]:
                texts = importers.fetch_netbox(options["netbox_url"], options["netbox_token"])
            else:
                texts = [Path(source).read_text(encoding="utf-8-sig") for source in sources]
            mapping = None
            if options["mapping"]:
                mapping = importers.load_mapping(Path(options["mapping"]).read_text(), options["mapping"])
            return sync.read(kind, texts, mapping)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def _report(self, plan: sync.Plan) -> None:
        for row, changes in plan.created:
            fields = ", ".join(f"{name}={_value(after)}" for name, (_, after) in changes.items())
            self.stdout.write(f"create {row.hostname} ({row.position}): {fields}")
        for row, changes in plan.updated:
            fields = ", ".join(
                f"{name}: {_value(before)} → {_value(after)}" for name, (before, after) in changes.items()
            )
            self.stdout.write(f"update {row.hostname} ({row.position}): {fields}")
        for hostname in plan.retired:
            self.stdout.write(f"retire {hostname}: is_active: True → False")
