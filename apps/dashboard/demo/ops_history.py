"""The ops changes of the weeks before the release: each fine on its own, all suspects at 08:00."""

from datetime import datetime, timedelta

from apps.changes.choices import ChangeKind, ChangeRisk, ChangeStatus, ChangeType
from apps.changes.models import Change
from apps.dashboard.demo import lifecycle
from apps.dashboard.demo.inventory import AUTH, BILLING_API, BILLING_WEB, EDGE_LB, REPORTING, Inventory
from apps.dashboard.demo.people import OPS_TEAM, People
from apps.dashboard.demo.story import (
    FIREWALL_TITLE,
    KERNEL_LIVEPATCH_TITLE,
    LIBRARY_PATCH_ARTIFACT,
    LIBRARY_PATCH_TITLE,
    NGINX_CONFIG_TITLE,
    NGINX_HOTFIX_TITLE,
    OS_PATCH_TITLE,
)
from apps.platform.actors import Actor


def build_ops_history(*, times: dict[str, datetime], inventory: Inventory, people: People) -> list[Change]:
    return [
        _firewall(times=times, inventory=inventory, people=people),
        _os_patch(times=times, inventory=inventory, people=people),
        _nginx_config(times=times, inventory=inventory, people=people),
        _library_patch(times=times, inventory=inventory, people=people),
        _nginx_hotfix(times=times, inventory=inventory, people=people),
        _kernel_livepatch(times=times, inventory=inventory, people=people),
    ]


def _planned_ops_change(
    *, start: datetime, end: datetime, hosts, service_slugs, inventory: Inventory, people: People, **fields
) -> Change:
    """An ops change planned a few days ahead and approved by the ops lead, ready to run at ``start``."""
    ops, olga = people["ops"], people["olga"]
    change = lifecycle.create(
        at=start - timedelta(days=4, hours=3),
        actor=ops,
        hosts=hosts,
        services=[inventory.services[slug] for slug in service_slugs],
        team=people.teams[OPS_TEAM],
        environment=inventory.environments["prod"],
        planned_start=start,
        planned_end=end,
        **fields,
    )
    return lifecycle.approve_path(
        change,
        requester=ops,
        lead=olga,
        submitted_at=start - timedelta(days=4, hours=2),
        approved_at=start - timedelta(days=2, hours=20),
    )


def _run_in_waves(change: Change, *, hosts, start: datetime, end: datetime, actor) -> Change:
    """Apply to the hosts in two halves, as ops do to keep half the pool serving."""
    middle = start + (end - start) / 2
    half = len(hosts) // 2 or 1
    waves = [(start + timedelta(minutes=10), hosts[:half]), (middle, hosts[half:])]
    return lifecycle.run(change, actor=actor, started_at=start, host_waves=waves, ended_at=end - timedelta(minutes=5))


def _firewall(*, times, inventory: Inventory, people: People) -> Change:
    hosts = inventory.hosts_of("prod", EDGE_LB, BILLING_WEB)
    start, end = times["firewall_start"], times["firewall_end"]
    change = _planned_ops_change(
        start=start,
        end=end,
        hosts=hosts,
        service_slugs=[EDGE_LB, BILLING_WEB],
        inventory=inventory,
        people=people,
        kind=ChangeKind.FIREWALL,
        title=FIREWALL_TITLE,
        summary="Move the billing back ends to TLS on 8443 and close the legacy plain-HTTP port.",
        implementation_plan="Push ruleset fw-2024-17 with the firewall pipeline; verify health checks go green.",
        backout_plan="Re-apply ruleset fw-2024-16 (kept on the firewall manager).",
        risk=ChangeRisk.MEDIUM,
        artifact="ruleset fw-2024-17",
    )
    return _run_in_waves(change, hosts=hosts, start=start, end=end, actor=people["ops"])


def _os_patch(*, times, inventory: Inventory, people: People) -> Change:
    hosts = inventory.hosts_of("prod", BILLING_WEB, BILLING_API, AUTH, REPORTING)
    start, end = times["os_patch_start"], times["os_patch_end"]
    change = _planned_ops_change(
        start=start,
        end=end,
        hosts=hosts,
        service_slugs=[BILLING_WEB, BILLING_API, AUTH, REPORTING],
        inventory=inventory,
        people=people,
        kind=ChangeKind.OS_UPDATE,
        change_type=ChangeType.STANDARD,
        title=OS_PATCH_TITLE,
        summary="Monthly Debian point updates, pre-approved standard change.",
        implementation_plan="apt full-upgrade in rolling halves, reboot where a new kernel landed.",
        backout_plan="Boot the previous kernel; pin and downgrade a package if one misbehaves.",
        artifact="debian 12.5 updates",
    )
    return _run_in_waves(change, hosts=hosts, start=start, end=end, actor=people["ops"])


def _nginx_config(*, times, inventory: Inventory, people: People) -> Change:
    hosts = inventory.hosts_of("prod", BILLING_WEB)
    start, end = times["nginx_config_start"], times["nginx_config_end"]
    change = _planned_ops_change(
        start=start,
        end=end,
        hosts=hosts,
        service_slugs=[BILLING_WEB],
        inventory=inventory,
        people=people,
        kind=ChangeKind.CONFIG,
        title=NGINX_CONFIG_TITLE,
        summary="Longer keepalive to the billing back ends and HTTP/2 towards clients.",
        implementation_plan="Roll out nginx.conf r412 with the config pipeline, nginx -t, reload.",
        backout_plan="Roll back to r411 and reload.",
        artifact="nginx config r412",
    )
    return _run_in_waves(change, hosts=hosts, start=start, end=end, actor=people["ops"])


def _library_patch(*, times, inventory: Inventory, people: People) -> Change:
    # Production only: dev and QA keep the old library, the drift the post-mortem found.
    hosts = inventory.all_hosts_in("prod")
    start, end = times["library_patch_start"], times["library_patch_end"]
    change = _planned_ops_change(
        start=start,
        end=end,
        hosts=hosts,
        service_slugs=inventory.services_with_hosts("prod"),
        inventory=inventory,
        people=people,
        kind=ChangeKind.PATCH,
        title=LIBRARY_PATCH_TITLE,
        summary="Security update of the system TLS library on every production machine.",
        implementation_plan="apt install libssl3=3.0.13-1 openssl=3.0.13-1, restart services linking libssl.",
        backout_plan="Downgrade to 3.0.11-1 from the local mirror and restart the same services.",
        risk=ChangeRisk.MEDIUM,
        artifact=LIBRARY_PATCH_ARTIFACT,
    )
    return _run_in_waves(change, hosts=hosts, start=start, end=end, actor=people["ops"])


def _nginx_hotfix(*, times, inventory: Inventory, people: People) -> Change:
    """Nobody filed this one: the config-drift pipeline recorded it after the fact."""
    hosts = [inventory.hosts["prod-web03"], inventory.hosts["prod-web05"]]
    at = times["nginx_hotfix_at"]
    change = lifecycle.create(
        at=at + timedelta(minutes=20),
        actor=Actor.automatic("demo data"),
        hosts=hosts,
        services=[inventory.services[BILLING_WEB]],
        kind=ChangeKind.CONFIG,
        title=NGINX_HOTFIX_TITLE,
        summary="Detected by the config-drift pipeline: /etc/nginx/nginx.conf changed outside any change.",
        implementation_plan="worker_connections 1024 -> 4096 (diff attached by the pipeline).",
        team=people.teams[OPS_TEAM],
        environment=inventory.environments["prod"],
        status=ChangeStatus.COMPLETED,
        is_unplanned=True,
        planned_start=at,
        planned_end=at + timedelta(minutes=15),
        actual_start=at,
        actual_end=at + timedelta(minutes=15),
        note="Recorded from a change event (config-drift pipeline).",
    )
    lifecycle.mark_hosts(
        change,
        hosts=hosts,
        at=at + timedelta(minutes=20),
        actor=Actor.automatic("demo data"),
        note="Seen by the pipeline.",
    )
    return change


def _kernel_livepatch(*, times, inventory: Inventory, people: People) -> Change:
    """Same night, same hosts as the release: the collision nobody saw."""
    hosts = inventory.hosts_of("prod", BILLING_API)
    start, end = times["kernel_livepatch_start"], times["kernel_livepatch_end"]
    change = _planned_ops_change(
        start=start,
        end=end,
        hosts=hosts,
        service_slugs=[BILLING_API],
        inventory=inventory,
        people=people,
        kind=ChangeKind.OS_UPDATE,
        title=KERNEL_LIVEPATCH_TITLE,
        summary="Kernel live patch for the billing application servers, no reboot needed.",
        implementation_plan="kpatch load on each host, check kpatch list.",
        backout_plan="kpatch unload.",
        artifact="kpatch 6.1.0-18-lp2",
    )
    return _run_in_waves(change, hosts=hosts, start=start, end=end, actor=people["ops"])
