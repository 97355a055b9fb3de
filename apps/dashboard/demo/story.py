"""The release night of ../shared/STORY.md, anchored to "now": names and times the demo replays.

Tests and later features find the story's objects by these exact titles and artifacts, and its
moments by ``story_times(now)``; the incident row also carries the outage time in the database.
"""

from datetime import UTC, datetime, time, timedelta

RELEASE_TITLE = "Release billing 2.4.0 to production"
RELEASE_APPROVED_ARTIFACT = "billing 2.4.0"
# What was really deployed: rebuilt after QA's last-minute bugs, edited in after the approval.
RELEASE_DEPLOYED_ARTIFACT = "billing 2.4.0-hotfix2"
DB_MIGRATION_TITLE = "billing-db: run 2.4.0 SQL migration scripts on production"
MANUAL_STEP_TITLE = "Manual step for billing 2.4.0: copy new config rules to billing-web"
BACKOUT_TITLE = "Emergency back-out of billing 2.4.0-hotfix2 to 2.3.7"
BACKOUT_ARTIFACT = "billing 2.3.7"
QA_RELEASE_TITLE = "Release billing 2.4.0 to QA"
QA_HOTFIX_TITLE = "Release billing 2.4.0-hotfix2 to QA"
DEV_RELEASE_TITLE = "Release billing 2.4.0 to dev"

LIBRARY_PATCH_TITLE = "Security patch: openssl 3.0.13-1 on production"
LIBRARY_PATCH_ARTIFACT = "openssl 3.0.13-1"
FIREWALL_TITLE = "Firewall: open 8443 from edge-lb to billing-web, close legacy 8080"
OS_PATCH_TITLE = "Monthly OS patch (standard): production web and app tier"
NGINX_CONFIG_TITLE = "nginx: keepalive and HTTP/2 on billing-web"
NGINX_HOTFIX_TITLE = "hotfix: nginx worker_connections edited by hand"
KERNEL_LIVEPATCH_TITLE = "Kernel live patch on billing-api"

INCIDENT_TITLE = "Billing site: random errors and load spikes"
POST_INCIDENT_FREEZE_NAME = "Post-incident freeze: billing production"
FINANCE_CLOSE_FREEZE_NAME = "Finance close freeze: billing production"


def story_times(now: datetime) -> dict[str, datetime]:
    """Every moment of the story, in UTC: the release was planned for 20:00 two days before ``now``.

    The outage (07:00 the morning after) and the back-out are always in the past, whatever the hour of ``now``.
    """
    release_day = (now.astimezone(UTC) - timedelta(days=2)).date()

    def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(release_day + timedelta(days=day_offset), time(hour, minute), tzinfo=UTC)

    return {
        # Weeks before: ops changes, each harmless on its own.
        "firewall_start": at(-16, 21),
        "firewall_end": at(-16, 22),
        "os_patch_start": at(-12, 20),
        "os_patch_end": at(-12, 23),
        "nginx_config_start": at(-8, 21),
        "nginx_config_end": at(-8, 21, 45),
        "dev_release_start": at(-6, 14),
        "dev_release_end": at(-6, 15),
        "library_patch_start": at(-4, 21),
        "library_patch_end": at(-4, 23),
        "qa_release_start": at(-3, 10),
        "qa_release_end": at(-3, 12),
        "nginx_hotfix_at": at(-3, 15, 10),
        # The release's paperwork: planned, approved, then edited after the approval.
        "release_created": at(-7, 10),
        "release_submitted": at(-6, 16),
        "release_approved": at(-5, 11),
        "qa_hotfix_start": at(0, 17, 30),
        "qa_hotfix_end": at(0, 19, 30),
        "release_planned_start": at(0, 20),
        "release_planned_end": at(0, 23, 30),
        "kernel_livepatch_start": at(0, 22),
        "kernel_livepatch_end": at(0, 23, 40),
        "release_edited": at(0, 22, 30),
        "release_reapproved": at(0, 22, 45),
        "manual_step_created": at(0, 22, 40),
        # The night.
        "release_actual_start": at(0, 23),
        "db_migration_start": at(0, 23, 40),
        "rollout_start": at(1, 0),
        "db_migration_end": at(1, 0, 15),
        "manual_step_start": at(1, 0, 20),
        "config_fix": at(1, 1),
        "manual_step_end": at(1, 1, 5),
        "release_actual_end": at(1, 1, 30),
        "load_moved": at(1, 2),
        # The morning after.
        "outage_start": at(1, 7),
        "investigation_start": at(1, 7, 30),
        "bridge_start": at(1, 8),
        "config_hacking": at(1, 9),
        "backout_ordered": at(1, 9, 30),
        "backout_start": at(1, 9, 40),
        "service_restored": at(1, 12),
        "post_incident_freeze_end": at(3, 12),
    }
