"""Small builders for suspect scenarios: changes with hosts, services and per-host states at chosen times."""

from datetime import UTC, datetime, timedelta

from apps.approvals.choices import Decision
from apps.approvals.models import Approval
from apps.changes.choices import ActivityAction, ChangeStatus, HostExecutionState
from apps.changes.models import Change, ChangeHost
from apps.changes.services import record_activity
from apps.inventory.models import Host
from apps.platform.actors import Actor
from tests.factories import ChangeFactory, HostFactory, ServiceFactory, UserFactory, environment

AT = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
RAN = (ChangeStatus.IN_PROGRESS, ChangeStatus.COMPLETED, ChangeStatus.FAILED, ChangeStatus.BACKED_OUT)


def host(name: str, *, env: str = "prod", services=()) -> Host:
    created = HostFactory(hostname=name, environment=environment(env))
    created.services.set(services)
    return Host.objects.select_related("environment").get(pk=created.pk)


def service(name: str):
    return ServiceFactory(name=name, slug=name)


def change(
    *,
    ended_before: timedelta,
    duration: timedelta = timedelta(hours=1),
    at: datetime,
    status: str = ChangeStatus.COMPLETED,
    env: str = "prod",
    hosts: dict | None = None,
    services=(),
    **fields,
) -> Change:
    """A change that ended ``ended_before`` ``at`` (negative: began after it), with ``hosts`` {host: state}."""
    end = at - ended_before
    start = end - duration
    ran = status in RAN
    created = ChangeFactory(
        environment=environment(env),
        planned_start=start,
        planned_end=end,
        actual_start=start if ran else None,
        actual_end=end if ran and status != ChangeStatus.IN_PROGRESS else None,
        status=status,
        **fields,
    )
    created.services.set(services)
    for linked, state in (hosts or {}).items():
        ChangeHost.objects.create(
            change=created,
            host=linked,
            state=state,
            state_changed_at=end if state != HostExecutionState.PENDING else None,
        )
    return Change.objects.select_related("environment").get(pk=created.pk)


def approve(target: Change, *, when: datetime) -> Approval:
    return Approval.objects.create(
        change=target,
        decided_by=UserFactory(username="approver"),
        decision=Decision.APPROVED,
        change_version=target.version,
        decided_at=when,
    )


def many_changes(world, count: int, offset: int = 0):
    """Every kind of candidate: direct with approvals and edits, services, peers, environment-wide, drift."""
    for index in range(offset, offset + count):
        ended = timedelta(hours=index % 60 + 1)
        direct = change(
            title=f"direct {index}",
            at=AT,
            ended_before=ended,
            hosts={world["web01"]: HostExecutionState.APPLIED, world["web02"]: HostExecutionState.PENDING},
            artifact=f"pkg {index}",
        )
        approve(direct, when=AT - timedelta(hours=100))
        record_activity(
            change=direct,
            actor=Actor.automatic("test"),
            action=ActivityAction.EDIT,
            changes={"artifact": {}},
            at=AT - timedelta(hours=90),
        )
        change(title=f"service {index}", at=AT, ended_before=ended, services=[world["web"]])
        change(title=f"peer {index}", at=AT, ended_before=ended, hosts={world["web02"]: HostExecutionState.APPLIED})
        change(title=f"wide {index}", at=AT, ended_before=ended)
        change(
            title=f"old drift {index}",
            at=AT,
            ended_before=timedelta(hours=100),
            hosts={world["web01"]: HostExecutionState.APPLIED},
            artifact=f"x{index}",
        )
