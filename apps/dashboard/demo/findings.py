"""Post-incident findings for the demo: the release night's post-mortem, and two earlier incidents of the ops
history, so the metrics (change fail rate, recovery time, ranking accuracy) have something to count.

Everything goes through apps.incidents.findings with the story's moments (``at=``); the changes are the ones
ops_history.py and release_night.py built, found by their titles.
"""

from datetime import datetime, timedelta

from apps.changes.models import Change
from apps.dashboard.demo.inventory import BILLING_WEB, EDGE_LB, Inventory
from apps.dashboard.demo.people import People
from apps.dashboard.demo.story import (
    BACKOUT_TITLE,
    FIREWALL_TITLE,
    INCIDENT_TITLE,
    KERNEL_LIVEPATCH_TITLE,
    LIBRARY_PATCH_TITLE,
    NGINX_CONFIG_TITLE,
    NGINX_HOTFIX_TITLE,
    RELEASE_TITLE,
)
from apps.incidents import findings
from apps.incidents.choices import FindingRole, IncidentStatus, Severity
from apps.incidents.models import Incident

CAUSE, FIX = FindingRole.CONFIRMED_CAUSE, FindingRole.FIXED_BY
NGINX_INCIDENT_TITLE = "billing-web: 502 errors at the lunchtime peak"
FIREWALL_INCIDENT_TITLE = "Edge health checks failing for billing-web"


def _change(title: str) -> Change:
    return Change.objects.get(title=title)


def _resolved_incident(*, title: str, severity: str, started: datetime, restored: datetime, opened_by, hosts, services):
    incident = Incident.objects.create(
        title=title,
        severity=severity,
        status=IncidentStatus.RESOLVED,
        started_at=started,
        mitigated_at=restored,
        resolved_at=restored,
        # The nginx config ran 5 days before: the bridge looked back a week.
        window_hours=7 * 24,
        opened_by=opened_by,
        created=started + timedelta(minutes=20),
    )
    incident.hosts.set(hosts)
    incident.services.set(services)
    return incident


def build_findings(*, times: dict[str, datetime], inventory: Inventory, people: People) -> None:
    olga, dana = people["olga"], people["dana"]
    review = times["service_restored"] + timedelta(hours=5)
    story = Incident.objects.get(title=INCIDENT_TITLE)
    # The post-mortem (../shared/STORY.md): the release and the patched library did not work together.
    findings.record_finding(
        incident=story,
        change=_change(RELEASE_TITLE),
        role=CAUSE,
        actor=dana,
        note="Post-mortem: 2.4.0-hotfix2 fails with the openssl patched on production only; "
        "3 billing-web hosts also missed the manual config step.",
        at=review,
    )
    findings.record_finding(
        incident=story,
        change=_change(LIBRARY_PATCH_TITLE),
        role=CAUSE,
        actor=olga,
        note="Post-mortem: openssl 3.0.13-1 never reached QA or dev; the release was tested without it.",
        at=review + timedelta(minutes=5),
    )
    livepatch = findings.record_finding(
        incident=story,
        change=_change(KERNEL_LIVEPATCH_TITLE),
        role=CAUSE,
        actor=olga,
        note="First guess on the call: the live patch ran the same night.",
        at=times["service_restored"] + timedelta(minutes=30),
    )
    findings.withdraw_finding(
        finding=livepatch,
        actor=olga,
        note="Ruled out in the review: the errors were on billing-web, the live patch only touched billing-api.",
        at=review + timedelta(minutes=10),
    )
    findings.record_finding(
        incident=story,
        change=_change(BACKOUT_TITLE),
        role=FIX,
        actor=olga,
        note="Back on 2.3.7 everywhere at about 12:00; smoke tests and user traffic normal.",
        at=review + timedelta(minutes=15),
    )

    # Five days after the nginx tuning, the first busy lunchtime: the hand-edited hotfix restored service.
    nginx_started = times["nginx_hotfix_at"] - timedelta(hours=1, minutes=40)
    nginx = _resolved_incident(
        title=NGINX_INCIDENT_TITLE,
        severity=Severity.SEV2,
        started=nginx_started,
        restored=times["nginx_hotfix_at"] + timedelta(minutes=20),
        opened_by=people["rita"],
        hosts=inventory.hosts_of("prod", BILLING_WEB),
        services=[inventory.services[BILLING_WEB]],
    )
    findings.record_finding(
        incident=nginx,
        change=_change(NGINX_CONFIG_TITLE),
        role=CAUSE,
        actor=olga,
        note="Keepalive with HTTP/2 exhausted worker connections under peak load.",
        at=times["nginx_hotfix_at"] + timedelta(hours=3),
    )
    findings.record_finding(
        incident=nginx,
        change=_change(NGINX_HOTFIX_TITLE),
        role=FIX,
        actor=olga,
        note="worker_connections raised by hand; errors stopped within minutes.",
        at=times["nginx_hotfix_at"] + timedelta(hours=3, minutes=5),
    )

    # The firewall push closed 8080 before every back end listened on 8443.
    firewall_started = times["firewall_end"] + timedelta(minutes=5)
    firewall = _resolved_incident(
        title=FIREWALL_INCIDENT_TITLE,
        severity=Severity.SEV3,
        started=firewall_started,
        restored=firewall_started + timedelta(minutes=50),
        opened_by=olga,
        hosts=inventory.hosts_of("prod", EDGE_LB),
        services=[inventory.services[EDGE_LB], inventory.services[BILLING_WEB]],
    )
    findings.record_finding(
        incident=firewall,
        change=_change(FIREWALL_TITLE),
        role=CAUSE,
        actor=olga,
        note="Two billing-web hosts still listened on 8080 only when the legacy port closed.",
        at=firewall_started + timedelta(hours=2),
    )
