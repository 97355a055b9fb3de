"""The billing 2.4.0 release, its side changes, the outage and the back-out (../shared/STORY.md)."""

from datetime import datetime, timedelta

from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.models import Change
from apps.dashboard.demo import lifecycle
from apps.dashboard.demo.inventory import BILLING_API, BILLING_DB, BILLING_WEB, Inventory
from apps.dashboard.demo.people import DEV_TEAM, RELEASE_TEAM, People
from apps.dashboard.demo.story import (
    BACKOUT_ARTIFACT,
    BACKOUT_TITLE,
    DB_MIGRATION_TITLE,
    DEV_RELEASE_TITLE,
    INCIDENT_TITLE,
    MANUAL_STEP_TITLE,
    QA_HOTFIX_TITLE,
    QA_RELEASE_TITLE,
    RELEASE_APPROVED_ARTIFACT,
    RELEASE_DEPLOYED_ARTIFACT,
    RELEASE_TITLE,
)
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import Incident

# The billing-web hosts the hasty manual procedure never reached: "the hosts with the wrong config files".
MANUAL_STEP_MISSED_HOSTS = ("prod-web03", "prod-web05", "prod-web08")

RELEASE_PLAN = """\
1. Stop the billing batch jobs on the app servers.
2. Install billing packages on billing-api, then billing-web.
3. Run the SQL scripts 2.4.0/001_invoice_lines.sql and 2.4.0/002_tax_rules.sql (see the billing-db change).
4. Restart every billing component, run the smoke tests, move user load back."""

RELEASE_BACKOUT = """\
Reinstall billing 2.3.7 packages on billing-api and billing-web, restore the pre-release database
snapshot (taken at step 1), restart every component. Estimated 2 hours."""


def build_release_night(*, times: dict[str, datetime], inventory: Inventory, people: People) -> list[Change]:
    dev, dana = people["dev"], people["dana"]
    release_hosts = inventory.hosts_of("prod", BILLING_WEB, BILLING_API, BILLING_DB)
    billing_services = [inventory.services[slug] for slug in (BILLING_WEB, BILLING_API, BILLING_DB)]

    lower_releases = [
        _lower_environment_release(
            title=DEV_RELEASE_TITLE,
            env="dev",
            artifact=RELEASE_APPROVED_ARTIFACT,
            start=times["dev_release_start"],
            end=times["dev_release_end"],
            inventory=inventory,
            people=people,
        ),
        _lower_environment_release(
            title=QA_RELEASE_TITLE,
            env="qa",
            artifact=RELEASE_APPROVED_ARTIFACT,
            start=times["qa_release_start"],
            end=times["qa_release_end"],
            inventory=inventory,
            people=people,
        ),
        _lower_environment_release(
            title=QA_HOTFIX_TITLE,
            env="qa",
            artifact=RELEASE_DEPLOYED_ARTIFACT,
            start=times["qa_hotfix_start"],
            end=times["qa_hotfix_end"],
            inventory=inventory,
            people=people,
        ),
    ]

    release = lifecycle.create(
        at=times["release_created"],
        actor=dev,
        hosts=release_hosts,
        services=billing_services,
        environment=inventory.environments["prod"],
        title=RELEASE_TITLE,
        summary="New invoice layout and tax rules, agreed in the pre-deployment planning meetings.",
        implementation_plan=RELEASE_PLAN,
        backout_plan=RELEASE_BACKOUT,
        test_plan="Smoke tests of invoice creation, payment and PDF export on every billing-web host.",
        risk=ChangeRisk.HIGH,
        planned_start=times["release_planned_start"],
        planned_end=times["release_planned_end"],
        artifact=RELEASE_APPROVED_ARTIFACT,
        links=[
            {"kind": "ticket", "url": "https://tracker.example.com/browse/REL-240"},
            {"kind": "build", "url": "https://ci.example.com/billing/builds/2.4.0"},
        ],
        team=people.teams[DEV_TEAM],
        kind=ChangeKind.RELEASE,
    )
    release = lifecycle.approve_path(
        release,
        requester=dev,
        lead=dana,
        submitted_at=times["release_submitted"],
        approved_at=times["release_approved"],
        note="As agreed in the planning meeting.",
    )
    lifecycle.countersign(
        release,
        at=times["release_approved"] + timedelta(minutes=40),
        lead=people["rita"],
        team=people.teams[RELEASE_TEAM],
        note=f"Go for {times['release_planned_start']:%A} 20:00.",
    )
    lifecycle.comment(release, at=times["release_planned_start"], actor=dev, text="Waiting for the QA sign-off.")
    # QA's last-minute bugs: new builds with new config rules, edited in after the approval.
    release = lifecycle.edit(
        release,
        at=times["release_edited"],
        actor=dev,
        fields={
            "artifact": RELEASE_DEPLOYED_ARTIFACT,
            "implementation_plan": RELEASE_PLAN
            + "\n5. New config rules: copy billing-rules.d/ to every billing-web host by hand (manual step).",
            "links": [
                {"kind": "ticket", "url": "https://tracker.example.com/browse/REL-240"},
                {"kind": "build", "url": "https://ci.example.com/billing/builds/2.4.0-hotfix2"},
            ],
        },
        note="QA found bugs this afternoon; rebuilt with the fixes.",
    )
    if release.status == ChangeStatus.SUBMITTED:
        # The edit withdrew the approval; on the night the lead re-approved by phone without a new review.
        release = lifecycle.move(
            release,
            to=ChangeStatus.APPROVED,
            at=times["release_reapproved"],
            actor=dana,
            note="Re-approved by phone: hotfix builds, config rules copied by hand.",
        )

    db_migration = _db_migration(times=times, inventory=inventory, people=people)
    manual_step = _manual_step(times=times, inventory=inventory, people=people)

    web = inventory.hosts_of("prod", BILLING_WEB)
    release = lifecycle.run(
        release,
        actor=dev,
        started_at=times["release_actual_start"],
        host_waves=[
            (times["rollout_start"] + timedelta(minutes=5), inventory.hosts_of("prod", BILLING_DB)),
            (times["rollout_start"] + timedelta(minutes=20), inventory.hosts_of("prod", BILLING_API)),
            (times["rollout_start"] + timedelta(minutes=40), web[: len(web) // 2]),
            (times["rollout_start"] + timedelta(minutes=50), web[len(web) // 2 :]),
        ],
        ended_at=None,
    )
    lifecycle.comment(
        release,
        at=times["config_fix"],
        actor=dev,
        text="New features broken in the smoke tests: the manual procedure missed config files. "
        "Applied them, restarted, tests pass.",
    )
    release = lifecycle.move(release, to=ChangeStatus.COMPLETED, at=times["release_actual_end"], actor=dev)
    lifecycle.comment(release, at=times["load_moved"], actor=people["rita"], text="All user load back on production.")
    lifecycle.comment(
        release,
        at=times["bridge_start"] + timedelta(minutes=10),
        actor=people["olga"],
        text="Bridge call: is it this release or one of our changes? Listing every change on prod-web*.",
    )

    backout = _backout(times=times, hosts=release_hosts, services=billing_services, inventory=inventory, people=people)
    _incident(times=times, inventory=inventory, people=people)
    return [*lower_releases, release, db_migration, manual_step, backout]


def _lower_environment_release(*, title, env, artifact, start, end, inventory: Inventory, people: People) -> Change:
    dev, dana = people["dev"], people["dana"]
    hosts = inventory.hosts_of(env, BILLING_WEB, BILLING_API, BILLING_DB)
    change = lifecycle.create(
        at=start - timedelta(hours=5),
        actor=dev,
        hosts=hosts,
        services=[inventory.services[slug] for slug in (BILLING_WEB, BILLING_API, BILLING_DB)],
        environment=inventory.environments[env],
        team=people.teams[DEV_TEAM],
        kind=ChangeKind.RELEASE,
        title=title,
        summary=f"Deploy {artifact} for testing.",
        implementation_plan="Deploy with the release pipeline, run the SQL scripts, restart.",
        backout_plan="Redeploy the previous build.",
        planned_start=start,
        planned_end=end,
        artifact=artifact,
    )
    change = lifecycle.approve_path(
        change,
        requester=dev,
        lead=dana,
        submitted_at=start - timedelta(hours=4),
        approved_at=start - timedelta(hours=2),
    )
    return lifecycle.run(
        change,
        actor=dev,
        started_at=start,
        host_waves=[(start + timedelta(minutes=30), hosts)],
        ended_at=end - timedelta(minutes=10),
    )


def _db_migration(*, times, inventory: Inventory, people: People) -> Change:
    dev, dana = people["dev"], people["dana"]
    primary, replica = inventory.hosts_of("prod", BILLING_DB)
    change = lifecycle.create(
        at=times["release_submitted"],
        actor=dev,
        hosts=[primary, replica],
        services=[inventory.services[BILLING_DB]],
        environment=inventory.environments["prod"],
        team=people.teams[DEV_TEAM],
        kind=ChangeKind.DATABASE,
        title=DB_MIGRATION_TITLE,
        summary="Schema changes of billing 2.4.0: invoice_lines partitioning and the new tax_rules table.",
        implementation_plan="Snapshot, then psql -f 2.4.0/001_invoice_lines.sql and 2.4.0/002_tax_rules.sql.",
        backout_plan="Restore the snapshot taken just before.",
        risk=ChangeRisk.HIGH,
        planned_start=times["release_planned_start"] + timedelta(minutes=30),
        planned_end=times["release_planned_start"] + timedelta(hours=1, minutes=30),
        artifact="billing-db schema 2.4.0",
    )
    change = lifecycle.approve_path(
        change,
        requester=dev,
        lead=dana,
        submitted_at=times["release_submitted"] + timedelta(minutes=5),
        approved_at=times["release_approved"] + timedelta(minutes=5),
    )
    change = lifecycle.run(
        change,
        actor=dev,
        started_at=times["db_migration_start"],
        host_waves=[(times["rollout_start"] + timedelta(minutes=5), [primary])],
        ended_at=None,
    )
    lifecycle.mark_hosts(
        change,
        hosts=[replica],
        at=times["rollout_start"] + timedelta(minutes=6),
        actor=dev,
        state=HostExecutionState.SKIPPED,
        note="Replica: receives the schema through replication.",
    )
    return lifecycle.move(change, to=ChangeStatus.COMPLETED, at=times["db_migration_end"], actor=dev)


def _manual_step(*, times, inventory: Inventory, people: People) -> Change:
    """Written in a hurry at 22:40 and applied by hand; three web hosts were never done."""
    dev, dana = people["dev"], people["dana"]
    web = inventory.hosts_of("prod", BILLING_WEB)
    created = times["manual_step_created"]
    change = lifecycle.create(
        at=created,
        actor=dev,
        hosts=web,
        services=[inventory.services[BILLING_WEB]],
        environment=inventory.environments["prod"],
        team=people.teams[DEV_TEAM],
        kind=ChangeKind.MANUAL,
        title=MANUAL_STEP_TITLE,
        summary="The hotfix builds need the new config rules, which the packages do not ship yet.",
        implementation_plan="On each billing-web host: copy billing-rules.d/*.conf to /etc/billing/, restart billing.",
        backout_plan="Remove the copied files and restart.",
        risk=ChangeRisk.MEDIUM,
        planned_start=times["rollout_start"],
        planned_end=times["rollout_start"] + timedelta(hours=1),
        artifact="billing-rules.d for 2.4.0-hotfix2",
    )
    change = lifecycle.approve_path(
        change,
        requester=dev,
        lead=dana,
        submitted_at=created + timedelta(minutes=5),
        approved_at=created + timedelta(minutes=10),
        note="OK, do it with the rollout.",
    )
    done = [host for host in web if host.hostname not in MANUAL_STEP_MISSED_HOSTS]
    start = times["manual_step_start"]
    return lifecycle.run(
        change,
        actor=dev,
        started_at=start,
        host_waves=[(start + timedelta(minutes=5 * (index + 1)), [host]) for index, host in enumerate(done)],
        ended_at=times["manual_step_end"],
        confirm_incomplete=True,
        note="Done on the hosts that matter; the rest get the files with the restart.",
    )


def _backout(*, times, hosts, services, inventory: Inventory, people: People) -> Change:
    dev, dana = people["dev"], people["dana"]
    ordered = times["backout_ordered"]
    change = lifecycle.create(
        at=ordered,
        actor=dev,
        hosts=hosts,
        services=services,
        environment=inventory.environments["prod"],
        team=people.teams[DEV_TEAM],
        kind=ChangeKind.RELEASE,
        change_type=ChangeType.EMERGENCY,
        title=BACKOUT_TITLE,
        summary="Management ordered a back-out to yesterday's versions after two hours of instability.",
        implementation_plan=RELEASE_BACKOUT,
        backout_plan="None: this is the back-out.",
        risk=ChangeRisk.CRITICAL,
        planned_start=ordered + timedelta(minutes=10),
        planned_end=ordered + timedelta(hours=2, minutes=30),
        artifact=BACKOUT_ARTIFACT,
    )
    change = lifecycle.approve_path(
        change,
        requester=dev,
        lead=dana,
        submitted_at=ordered + timedelta(minutes=2),
        approved_at=ordered + timedelta(minutes=5),
        note="Emergency: approved on the bridge call.",
    )
    start = times["backout_start"]
    web = inventory.hosts_of("prod", BILLING_WEB)
    change = lifecycle.run(
        change,
        actor=dev,
        started_at=start,
        host_waves=[
            (start + timedelta(minutes=50), inventory.hosts_of("prod", BILLING_DB)),
            (start + timedelta(minutes=80), inventory.hosts_of("prod", BILLING_API)),
            (start + timedelta(minutes=110), web[: len(web) // 2]),
            (start + timedelta(minutes=130), web[len(web) // 2 :]),
        ],
        ended_at=times["service_restored"],
    )
    return change


def _incident(*, times, inventory: Inventory, people: People) -> Incident:
    incident, created = Incident.objects.get_or_create(
        title=INCIDENT_TITLE,
        defaults={
            "severity": Severity.SEV1,
            "status": IncidentStatus.RESOLVED,
            "started_at": times["outage_start"],
            "resolved_at": times["service_restored"],
            "bridge_url": "https://meet.example.com/billing-bridge",
            "opened_by": people["olga"],
            "created": times["investigation_start"],
        },
    )
    if created:
        incident.hosts.set(inventory.hosts_of("prod", BILLING_WEB))
        incident.services.set([inventory.services[BILLING_WEB]])
    return incident
