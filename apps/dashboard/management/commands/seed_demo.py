from django.core.management.base import BaseCommand

from apps.changes.choices import ChangeStatus
from apps.dashboard.demo.loader import DemoReport, load_demo


class Command(BaseCommand):
    help = "Load the demo: the billing release night of STORY.md with its ops changes, users and inventory."

    def handle(self, *args, **options):
        report = load_demo()
        if report.already_loaded:
            self.stdout.write(self.style.WARNING("Demo data is already loaded; nothing added."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._write_summary(report)
        self._write_logins(report)

    def _write_summary(self, report: DemoReport) -> None:
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in report.counts.items()))
        by_status = ", ".join(
            f"{count} {ChangeStatus(status).label.lower()}" for status, count in report.changes_by_status.items()
        )
        self.stdout.write(f"Changes by status: {by_status}")

    def _write_logins(self, report: DemoReport) -> None:
        width = max(len("username"), *(len(login.username) for login in report.logins))
        pass_width = max(len("password"), *(len(login.password) for login in report.logins))
        self.stdout.write("")
        self.stdout.write("Demo logins (demo only; accounts that existed before keep their own password):")
        self.stdout.write(f"  {'username':<{width}}  {'password':<{pass_width}}  role")
        for login in report.logins:
            self.stdout.write(f"  {login.username:<{width}}  {login.password:<{pass_width}}  {login.role}")
