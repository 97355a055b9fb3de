"""Work waiting for the demo logins right now, so each one lands on something to do.

The story and the background are history; this adds the present: changes waiting for dana's decision (and
olga's on the risky one), an approved change that is due now for ops to start, and an open incident on
billing-api whose bridge lists suspects. Everything goes through the same services as real use.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus
from apps.changes.models import Change
from apps.dashboard.demo import lifecycle
from apps.dashboard.demo.inventory import AUTH, BILLING_API, BILLING_WEB, MONITORING, REPORTING, Inventory
from apps.dashboard.demo.people import DEV_TEAM, OPS_TEAM, People
from apps.incidents.choices import Severity
from apps.incidents.models import Incident
from apps.incidents.services import add_note, open_incident

OPEN_INCIDENT_TITLE = "billing-api: slow invoice PDFs and timeouts"
DUE_NOW_TITLE = "Monitoring: raise Prometheus retention to 30 days (qa)"


@dataclass(frozen=True)
class Waiting:
    title: str
    env: str
    services: tuple[str, ...]
    day: int  # days after today, at the hour below (UTC)
    hour: int
    risk: str = ChangeRisk.LOW
    kind: str = ChangeKind.RELEASE
    artifact: str = ""
    plan: str = ""


# dev asks, dana (billing-dev lead) decides. Day 4 in production falls after the post-incident freeze and
# before the finance close; high risk in production also wants an ops lead, so olga sees it too.
WAITING_FOR_DANA = (
    Waiting(
        "Release billing 2.4.1 to QA",
        "qa",
        (BILLING_WEB, BILLING_API),
        2,
        10,
        ChangeRisk.MEDIUM,
        artifact="billing 2.4.1",
        plan="Deploy with the release pipeline; QA runs the invoice regression suite.",
    ),
    Waiting(
        "billing-api: cache tax rates for 10 minutes (qa)",
        "qa",
        (BILLING_API,),
        3,
        14,
        kind=ChangeKind.CONFIG,
        artifact="feature flag tax_cache=on",
        plan="Flip the flag in billing.properties, rolling restart.",
    ),
    Waiting(
        "Release billing 2.4.1 to production",
        "prod",
        (BILLING_WEB, BILLING_API),
        4,
        20,
        ChangeRisk.HIGH,
        artifact="billing 2.4.1",
        plan="Packaged config rules, no manual steps; canary on one web host first.",
    ),
)


def build_next_steps(*, now: datetime, inventory: Inventory, people: People) -> None:
    _waiting_for_dana(now=now, inventory=inventory, people=people)
    _due_now_for_ops(now=now, inventory=inventory, people=people)
    _open_incident(now=now, inventory=inventory, people=people)


def _waiting_for_dana(*, now: datetime, inventory: Inventory, people: People) -> list[Change]:
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    created = []
    for number, spec in enumerate(WAITING_FOR_DANA):
        start = today + timedelta(days=spec.day, hours=spec.hour)
        change = lifecycle.create(
            at=now - timedelta(hours=20 - 3 * number),
            actor=people["dev"],
            hosts=inventory.hosts_of(spec.env, *spec.services),
            services=[inventory.services[slug] for slug in spec.services],
            title=spec.title,
            kind=spec.kind,
            team=people.teams[DEV_TEAM],
            environment=inventory.environments[spec.env],
            implementation_plan=spec.plan,
            backout_plan="Redeploy the previous version with the same pipeline.",
            test_plan="Smoke tests and the invoice regression suite.",
            risk=spec.risk,
            planned_start=start,
            planned_end=start + timedelta(hours=2),
            artifact=spec.artifact,
        )
        created.append(
            lifecycle.move(change, to=ChangeStatus.SUBMITTED, at=now - timedelta(hours=2), actor=people["dev"])
        )
    return created


def _due_now_for_ops(*, now: datetime, inventory: Inventory, people: People) -> Change:
    """Approved yesterday, its window opened a quarter of an hour ago: ops starts it from the change page.
    In QA, so no production freeze stands in the way."""
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=15)
    change = lifecycle.create(
        at=now - timedelta(days=2),
        actor=people["ops"],
        hosts=inventory.hosts_of("qa", REPORTING, AUTH),
        services=[inventory.services[REPORTING], inventory.services[AUTH]],
        title=DUE_NOW_TITLE,
        kind=ChangeKind.CONFIG,
        team=people.teams[OPS_TEAM],
        environment=inventory.environments["qa"],
        implementation_plan="Set --storage.tsdb.retention.time=30d on the scrape targets' exporter, reload.",
        backout_plan="Set the retention back to 15d and reload.",
        risk=ChangeRisk.LOW,
        planned_start=start,
        planned_end=start + timedelta(hours=2),
        artifact="prometheus retention 30d",
    )
    return lifecycle.approve_path(
        change,
        requester=people["ops"],
        lead=people["olga"],
        submitted_at=now - timedelta(days=2) + timedelta(hours=1),
        approved_at=now - timedelta(days=1),
    )


def _open_incident(*, now: datetime, inventory: Inventory, people: People) -> Incident:
    """Opened by olga 40 minutes ago: the story's release and the kernel live patch touched these hosts within
    the last 72 hours, so the bridge has suspects to rank."""
    hosts = inventory.hosts_of("prod", BILLING_API)
    incident = open_incident(
        actor=people["olga"],
        title=OPEN_INCIDENT_TITLE,
        started_at=now.replace(second=0, microsecond=0) - timedelta(minutes=40),
        severity=Severity.SEV2,
        hosts=hosts,
        services=[inventory.services[BILLING_API], inventory.services[MONITORING]],
        bridge_url="https://meet.example.com/billing-api-bridge",
    )
    add_note(incident=incident, actor=people["olga"], text="p95 of /invoices/pdf went from 0.8 s to 9 s; 5xx at 3%.")
    return incident
