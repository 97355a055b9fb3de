"""Everyday changes around the story: every environment, team, kind and status, 3 weeks back to 2 weeks ahead.

Deterministic: one ``random.Random(seed)`` drives every choice, so two demo databases look alike.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType, HostExecutionState
from apps.changes.freeze import freeze_occurrences
from apps.changes.models import Change
from apps.dashboard.demo import lifecycle
from apps.dashboard.demo.inventory import (
    AUTH,
    BILLING_API,
    BILLING_DB,
    BILLING_WEB,
    CI,
    EDGE_LB,
    MAIL,
    MONITORING,
    REPORTING,
    Inventory,
)
from apps.dashboard.demo.people import DEV_TEAM, OPS_TEAM, RELEASE_TEAM, People
from apps.dashboard.demo.story import LIBRARY_PATCH_ARTIFACT

S = ChangeStatus

# How many background changes end in each status; with the story's changes the demo holds about 60.
STATUS_MIX = (
    (S.COMPLETED, 17),
    (S.FAILED, 2),
    (S.BACKED_OUT, 1),
    (S.CANCELLED, 3),
    (S.REJECTED, 3),
    (S.IN_PROGRESS, 2),
    (S.DRAFT, 4),
    (S.SUBMITTED, 6),
    (S.APPROVED, 9),
)
PAST_STATUSES = {S.COMPLETED, S.FAILED, S.BACKED_OUT}
FUTURE_STATUSES = {S.DRAFT, S.SUBMITTED, S.APPROVED}

# team slug -> (requester, approving lead)
CAST = {DEV_TEAM: ("dev", "dana"), OPS_TEAM: ("ops", "olga"), RELEASE_TEAM: ("dana", "rita")}

REJECTION_NOTES = (
    "The backout plan has never been tried; rehearse it in QA first.",
    "Collides with the finance close; pick another week.",
    "Run it in QA first, then come back.",
)
# Why work planned into a freeze cannot wait, by kind of change.
FREEZE_JUSTIFICATIONS = {
    ChangeKind.PATCH: "Security fix: waiting for the end of the freeze leaves the hole open.",
    ChangeKind.OS_UPDATE: "Security fix: waiting for the end of the freeze leaves the hole open.",
    ChangeKind.CONFIG: "The current setting expires before the freeze ends.",
    ChangeKind.RELEASE: "Finance needs it for the close itself.",
}
DEFAULT_FREEZE_JUSTIFICATION = "Agreed with finance: it cannot wait until after the freeze."
CANCELLATION_NOTES = ("Superseded by the next release train.", "Vendor pulled the package.", "Not needed after all.")


@dataclass(frozen=True)
class Template:
    title: str  # "{env}" becomes the environment slug
    kind: str
    team: str
    services: tuple[str, ...]
    artifact: str = ""
    risk: str = ChangeRisk.LOW
    hours: float = 1.0
    change_type: str = ChangeType.NORMAL
    plan: str = ""


# fmt: off
TEMPLATES = (
    Template("Release reporting 1.9.0 to {env}", ChangeKind.RELEASE, DEV_TEAM, (REPORTING,), "reporting 1.9.0",
             ChangeRisk.MEDIUM, 2, plan="Deploy with the release pipeline; re-run last night's exports."),
    Template("Release auth 3.2.1 to {env}", ChangeKind.RELEASE, DEV_TEAM, (AUTH,), "auth 3.2.1", ChangeRisk.MEDIUM,
             1.5, plan="Blue/green switch of the auth pool."),
    Template("billing-api: enable async PDF rendering ({env})", ChangeKind.CONFIG, DEV_TEAM, (BILLING_API,),
             "feature flag pdf_async=on", plan="Flip the flag in billing.properties, rolling restart."),
    Template("reporting: rebuild finance cubes ({env})", ChangeKind.DATABASE, DEV_TEAM, (REPORTING,),
             "finance cubes v7", ChangeRisk.MEDIUM, 3, plan="Run rebuild_cubes.sql during the batch gap."),
    Template("billing-api: raise connection pool to 80 ({env})", ChangeKind.CONFIG, DEV_TEAM, (BILLING_API,),
             plan="Edit pool.max in billing.properties, rolling restart."),
    Template("auth: rotate SAML signing certificate ({env})", ChangeKind.CONFIG, DEV_TEAM, (AUTH,),
             "saml-signing 2026", ChangeRisk.MEDIUM, plan="Publish the new metadata, switch keys after 1 hour."),
    Template("billing-web: new invoice PDF template ({env})", ChangeKind.RELEASE, DEV_TEAM, (BILLING_WEB,),
             "invoice templates r58", plan="Deploy the template bundle, clear the PDF cache."),
    Template("Data fix: re-send failed invoice mails ({env})", ChangeKind.MANUAL, DEV_TEAM, (BILLING_API, MAIL),
             plan="Run resend_invoices --since yesterday by hand on one app host."),
    Template("Firewall: restrict SSH to the bastion ({env})", ChangeKind.FIREWALL, OPS_TEAM,
             (BILLING_WEB, BILLING_API, AUTH), "ruleset fw-ssh-3", ChangeRisk.MEDIUM,
             plan="Push the ruleset, check bastion access before closing the session."),
    Template("Firewall: allow node_exporter scrape on 9100 ({env})", ChangeKind.FIREWALL, OPS_TEAM,
             (BILLING_API, REPORTING, MONITORING), "ruleset fw-mon-2", plan="Push the ruleset."),
    Template("OS update: Debian 12.6 point release on billing-db ({env})", ChangeKind.OS_UPDATE, OPS_TEAM,
             (BILLING_DB,), "debian 12.6 updates", ChangeRisk.HIGH, 3, plan="Fail over, patch, fail back."),
    Template("Security patch: sudo 1.9.13p3-1+deb12u1 ({env})", ChangeKind.PATCH, OPS_TEAM, (AUTH, REPORTING, MAIL),
             "sudo 1.9.13p3-1+deb12u1", plan="apt install with unattended-upgrades off."),
    Template("Security patch: curl 7.88.1-10+deb12u5 ({env})", ChangeKind.PATCH, OPS_TEAM, (BILLING_API, CI),
             "curl 7.88.1-10+deb12u5", plan="apt install, no restarts needed."),
    Template("PostgreSQL minor upgrade 15.6 to 15.7 on billing-db ({env})", ChangeKind.DATABASE, OPS_TEAM,
             (BILLING_DB,), "postgresql 15.7", ChangeRisk.HIGH, 2, plan="Replica first, then switchover."),
    Template("edge-lb: renew TLS certificates ({env})", ChangeKind.CONFIG, OPS_TEAM, (EDGE_LB,),
             "tls billing.example.com 2026", ChangeRisk.MEDIUM, plan="Install the certificates, reload haproxy."),
    Template("mail: rotate DKIM keys ({env})", ChangeKind.CONFIG, OPS_TEAM, (MAIL,), "dkim selector 2026a",
             plan="Publish the DNS record a day ahead, then switch the selector."),
    Template("Monitoring agent upgrade to node_exporter 1.8.1 ({env})", ChangeKind.INFRASTRUCTURE, OPS_TEAM,
             (BILLING_WEB, BILLING_API, AUTH, REPORTING), "node_exporter 1.8.1",
             plan="Roll the agent package out with the config pipeline."),
    Template("nginx package update 1.22.1-9+deb12u1 on billing-web ({env})", ChangeKind.PATCH, OPS_TEAM,
             (BILLING_WEB,), "nginx 1.22.1-9+deb12u1", ChangeRisk.MEDIUM, plan="Drain, upgrade, reload, undrain."),
    Template("Monthly OS patch (standard): reporting and mail ({env})", ChangeKind.OS_UPDATE, OPS_TEAM,
             (REPORTING, MAIL), "debian 12.6 updates", hours=2, change_type=ChangeType.STANDARD,
             plan="Standard change template OS-01."),
    Template("Grow /var on reporting ({env})", ChangeKind.INFRASTRUCTURE, OPS_TEAM, (REPORTING,),
             plan="Extend the LVM volume online."),
    Template("Release train 24.3: auth 3.2.1 and reporting 1.9.0 ({env})", ChangeKind.RELEASE, RELEASE_TEAM,
             (AUTH, REPORTING), "train 24.3", ChangeRisk.MEDIUM, 3, plan="Go/no-go at 17:00, then both releases."),
    Template("Billing 2.5.0 dress rehearsal ({env})", ChangeKind.RELEASE, RELEASE_TEAM,
             (BILLING_WEB, BILLING_API, BILLING_DB), "billing 2.5.0-rc1", ChangeRisk.HIGH, 4,
             plan="Full rollout and back-out, timed, with every manual step scripted."),
    Template("Release train 24.4: billing 2.4.1 ({env})", ChangeKind.RELEASE, RELEASE_TEAM,
             (BILLING_WEB, BILLING_API), "billing 2.4.1", ChangeRisk.HIGH, 3,
             plan="Packaged config rules this time: no manual steps."),
)
# fmt: on

ENV_WEIGHTS = (("prod", 5), ("qa", 3), ("dev", 2))


def build_background(*, now: datetime, inventory: Inventory, people: People, seed: int) -> list[Change]:
    rng = random.Random(seed)
    statuses = [status for status, count in STATUS_MIX for _ in range(count)]
    rng.shuffle(statuses)
    used: set[tuple[int, str]] = set()
    changes = []
    for status in statuses:
        template_index, env = _pick_unused(rng, status=status, inventory=inventory, used=used)
        template = TEMPLATES[template_index]
        changes.append(
            _build_one(template=template, env=env, status=status, now=now, rng=rng, inventory=inventory, people=people)
        )
    return changes


def _pick_unused(rng: random.Random, *, status: str, inventory: Inventory, used: set) -> tuple[int, str]:
    envs, weights = zip(*ENV_WEIGHTS, strict=True)
    while True:
        index = rng.randrange(len(TEMPLATES))
        env = rng.choices(envs, weights)[0]
        if status == S.REJECTED and TEMPLATES[index].change_type == ChangeType.STANDARD:
            continue  # pre-approved templates are not up for rejection
        if (index, env) not in used and inventory.hosts_of(env, *TEMPLATES[index].services):
            used.add((index, env))
            return index, env


def _planned_start(*, status: str, now: datetime, rng: random.Random) -> datetime:
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    if status == S.IN_PROGRESS:
        return now.replace(second=0, microsecond=0) - timedelta(minutes=5 * rng.randint(6, 24))
    if status in PAST_STATUSES:
        # Two days back at least, so a long evening change and its back-out still end before now.
        day = rng.randint(-21, -2)
    elif status not in FUTURE_STATUSES and rng.random() < 0.5:
        day = rng.randint(-21, -1)
    else:
        day = rng.randint(1, 14)
    return today + timedelta(days=day, hours=rng.choice((9, 10, 14, 16, 19, 20, 21)), minutes=rng.choice((0, 30)))


def _freeze_justification(*, kind: str, env, start: datetime, end: datetime) -> str:
    """Work planned into a freeze says why it cannot wait: the leads then decide on the freeze exception."""
    if not freeze_occurrences(start=start, end=end, environment_ids=[env.pk]):
        return ""
    return FREEZE_JUSTIFICATIONS.get(kind, DEFAULT_FREEZE_JUSTIFICATION)


def _build_one(*, template: Template, env: str, status: str, now, rng, inventory: Inventory, people: People):
    requester, lead = (people[username] for username in CAST[template.team])
    hosts = inventory.hosts_of(env, *template.services)
    if len(hosts) > 3 and rng.random() < 0.3:
        hosts = sorted(rng.sample(hosts, k=len(hosts) - 1), key=str)
    if template.artifact == LIBRARY_PATCH_ARTIFACT and env != "prod":
        raise ValueError("The story's library patch must stay production-only: the drift is the point.")

    start = _planned_start(status=status, now=now, rng=rng)
    hours = template.hours if status != S.IN_PROGRESS else max(template.hours, 4)
    end = start + timedelta(hours=hours)
    # Paperwork happens days ahead and always before both the start and now.
    created = min(start, now) - timedelta(hours=rng.randint(36, 140))
    submitted = created + timedelta(hours=rng.randint(1, 6), minutes=rng.choice((0, 15, 40)))
    decided = submitted + timedelta(hours=rng.randint(2, 20))

    change = lifecycle.create(
        at=created,
        actor=requester,
        hosts=hosts,
        services=[inventory.services[slug] for slug in template.services if inventory.hosts_of(env, slug)],
        title=template.title.format(env=env),
        kind=template.kind,
        change_type=template.change_type,
        team=people.teams[template.team],
        environment=inventory.environments[env],
        implementation_plan=template.plan,
        backout_plan="Revert to the previous version with the same procedure.",
        freeze_justification=_freeze_justification(
            kind=template.kind, env=inventory.environments[env], start=start, end=end
        ),
        risk=template.risk,
        planned_start=start,
        planned_end=end,
        artifact=template.artifact,
    )
    if status == S.DRAFT:
        return change
    if status == S.CANCELLED and rng.random() < 0.5:
        return lifecycle.move(
            change, to=S.CANCELLED, at=submitted, actor=requester, note=rng.choice(CANCELLATION_NOTES)
        )
    change = lifecycle.move(change, to=S.SUBMITTED, at=submitted, actor=requester)
    if status == S.SUBMITTED:
        return change
    if status == S.REJECTED:
        return lifecycle.move(change, to=S.REJECTED, at=decided, actor=lead, note=rng.choice(REJECTION_NOTES))
    change = lifecycle.move(change, to=S.APPROVED, at=decided, actor=lead)
    if status == S.APPROVED:
        return change
    if status == S.CANCELLED:
        cancelled_at = decided + timedelta(hours=1)
        return lifecycle.move(
            change, to=S.CANCELLED, at=cancelled_at, actor=requester, note=rng.choice(CANCELLATION_NOTES)
        )
    return _execute(change, status=status, hosts=hosts, start=start, end=end, actor=requester, rng=rng)


def _execute(change: Change, *, status: str, hosts, start: datetime, end: datetime, actor, rng) -> Change:
    """Run an approved change to its final ``status``, with per-host states inside its actual window."""
    actual_start = start + timedelta(minutes=rng.choice((0, 5, 10, 20)))
    first_wave_at = actual_start + timedelta(minutes=10)
    if status == S.IN_PROGRESS:
        half = hosts[: max(1, len(hosts) // 2)]
        return lifecycle.run(
            change, actor=actor, started_at=actual_start, host_waves=[(first_wave_at, half)], ended_at=None
        )

    actual_end = end - timedelta(minutes=rng.choice((0, 10, 25)))
    if status == S.FAILED:
        broken, rest = hosts[-1], hosts[:-1]
        change = lifecycle.run(
            change, actor=actor, started_at=actual_start, host_waves=[(first_wave_at, rest)], ended_at=None
        )
        lifecycle.mark_hosts(
            change,
            hosts=[broken],
            at=first_wave_at + timedelta(minutes=5),
            actor=actor,
            state=HostExecutionState.FAILED,
            note="Health check failed after the change.",
        )
        return lifecycle.move(
            change, to=S.FAILED, at=actual_end, actor=actor, note=f"Stopped: {broken} failed its health check."
        )

    skipped = hosts[-1:] if len(hosts) > 2 and rng.random() < 0.2 else []
    applied = [host for host in hosts if host not in skipped]
    change = lifecycle.run(
        change, actor=actor, started_at=actual_start, host_waves=[(first_wave_at, applied)], ended_at=None
    )
    if skipped:
        lifecycle.mark_hosts(
            change,
            hosts=skipped,
            at=first_wave_at,
            actor=actor,
            state=HostExecutionState.SKIPPED,
            note="In maintenance.",
        )
    change = lifecycle.move(change, to=S.COMPLETED, at=actual_end, actor=actor)
    if status == S.BACKED_OUT:
        backed_out_at = actual_end + timedelta(minutes=30)
        lifecycle.mark_hosts(change, hosts=applied, at=backed_out_at, actor=actor, state=HostExecutionState.ROLLED_BACK)
        change = lifecycle.move(
            change, to=S.BACKED_OUT, at=backed_out_at, actor=actor, note="Error rate went up afterwards; rolled back."
        )
    return change
