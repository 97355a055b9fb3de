"""The permission matrix's world: one object of each kind, one user per role, and how URL kwargs are filled.

Built once per test module inside a transaction that is rolled back at the end (see ``matrix_world`` in
test_permission_matrix.py); each test then runs in a savepoint, so requests that write leave no trace.
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.choices import TokenScope
from apps.accounts.services import create_saved_view, regenerate_feed_token
from apps.accounts.tokens import create_api_token
from apps.approvals import services as approval_services
from apps.approvals.models import ApprovalPolicy
from apps.audit import services as audit
from apps.audit.choices import AuditAction, AuditVia
from apps.changes import services
from apps.changes.choices import ChangeStatus
from apps.changes.models import ChangeTemplate
from apps.chat.choices import ChatKind
from apps.chat.models import ChatAttempt, ChatChannel, ChatDelivery, SlackAction, SlackUserLink
from apps.events.models import EmailNotification, OutboxEvent
from apps.incidents import findings
from apps.incidents import services as incident_services
from apps.ingest.keys import create_integration_key
from apps.ingest.models import IngestKind, IngestRecord
from apps.inventory.models import Tag
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.factories import (
    FreezeWindowFactory,
    HostFactory,
    MembershipFactory,
    ServiceFactory,
    TeamFactory,
    UserFactory,
    environment,
)

ROLES = ("anonymous", "viewer", "requester", "lead", "admin")
# API callers: the five roles with read-write tokens, plus the requester with a read-only token and the requester
# through the browser session (CSRF enforced, no CSRF token sent).
API_ROLES = (*ROLES, "read_only", "session")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)  # role -> session key, signed in once for the whole module

    def url_kwargs(self) -> dict:
        """URL kwarg -> value, by ``namespace:kwarg`` first (``pk`` means a different object per app), then
        by kwarg alone. A pattern with a kwarg missing here fails the matrix: add the object and the entry."""
        o, c = self.objects, self.changes
        return {
            "changes:pk": c["draft"].pk,
            "approvals:pk": c["submitted"].pk,
            "accounts:pk": o["requester_read_token"].pk,
            "incidents:pk": o["incident"].pk,
            "incidents:change_pk": c["in_progress"].pk,
            "incidents:backout_pk": o["backout"].pk,
            "incidents:finding_pk": o["finding"].pk,
            "finding_id": o["finding"].pk,
            "api:pk": c["draft"].pk,
            "ingest:pk": o["integration_key"].pk,
            "chat:pk": o["chat_channel"].pk,
            "metrics:slug": "change-fail-rate",
            "metrics:name": "failing",
            "api:name": "failing",
            "api:metric": "change-fail-rate",
            "slug": o["team"].slug,
            "hostname": o["host"].hostname,
        }

    def api_path_values(self) -> dict:
        """(resource, OpenAPI path parameter) -> value, for /api/v1/<resource>/{param}..."""
        o, c = self.objects, self.changes
        return {
            ("approvals", "id"): o["approval"].pk,
            ("changes", "id"): c["submitted"].pk,
            ("changes", "hostname"): o["host"].hostname,
            ("environments", "slug"): "prod",
            ("freeze-windows", "id"): o["freeze"].pk,
            ("hosts", "hostname"): o["host"].hostname,
            ("incidents", "id"): o["incident"].pk,
            ("incidents", "finding_id"): o["finding"].pk,
            ("integration-keys", "id"): o["integration_key"].pk,
            ("services", "slug"): o["service"].slug,
            ("teams", "slug"): o["team"].slug,
            ("metrics", "metric"): "change-fail-rate",
            ("metrics", "name"): "failing",
        }


def _change(requester, team, hosts, title, **fields):
    now = timezone.now()
    values = {
        "title": title,
        "environment": environment("prod"),
        "team": team,
        "planned_start": now - timedelta(hours=1),
        "planned_end": now + timedelta(hours=1),
        "backout_plan": "Redeploy the previous version.",
        "artifact": "billing 2.4.0",
    } | fields
    return services.create_change(actor=requester, hosts=hosts, **values)


def _lifecycle(requester, lead, team, hosts, title, target):
    """A change of ``team`` walked through the real services up to ``target``."""
    change = _change(requester, team, hosts, title)
    if target == ChangeStatus.DRAFT:
        return change
    change = services.submit_change(change=change, actor=requester)
    if target == ChangeStatus.SUBMITTED:
        return change
    approval_services.decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    if target == ChangeStatus.APPROVED:
        return change
    change = services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    if target == ChangeStatus.IN_PROGRESS:
        return change
    services.set_host_states(change=change, hosts=hosts, state="applied", actor=requester)
    return services.transition_change(change=change, target=ChangeStatus.COMPLETED, actor=requester)


def build_world() -> World:
    world = World()
    team = TeamFactory(name="Billing dev", slug="billing-dev")
    ops = TeamFactory(name="Operations", slug="ops")
    users = {
        "viewer": UserFactory(username="m-viewer"),
        "requester": UserFactory(username="m-requester"),
        "lead": UserFactory(username="m-lead"),
        "admin": UserFactory(username="m-admin", is_staff=True, is_superuser=True),
        "ops_member": UserFactory(username="m-ops-member"),
        "ops_lead": UserFactory(username="m-ops-lead"),
    }
    MembershipFactory(team=team, user=users["requester"])
    MembershipFactory(team=team, user=users["lead"], is_lead=True)
    MembershipFactory(team=ops, user=users["ops_member"])
    MembershipFactory(team=ops, user=users["ops_lead"], is_lead=True)
    world.users = users

    service = ServiceFactory(name="billing-web")
    tag = Tag.objects.create(name="matrix", slug="matrix")
    hosts = [HostFactory(hostname=f"mweb{n:02d}.prod") for n in (1, 2)]
    for host in hosts:
        host.services.add(service)
        host.tags.add(tag)
    ops_host = HostFactory(hostname="mdb01.prod")

    requester, lead = users["requester"], users["lead"]
    for status in ("draft", "submitted", "approved", "in_progress", "completed"):
        world.changes[status] = _lifecycle(requester, lead, team, hosts, f"Matrix {status}", status)
    world.changes["ops_in_progress"] = _lifecycle(
        users["ops_member"], users["ops_lead"], ops, [ops_host], "Ops patch", ChangeStatus.IN_PROGRESS
    )

    incident = incident_services.open_incident(
        actor=users["viewer"], title="Checkout errors", started_at=timezone.now(), severity="sev2", hosts=hosts
    )
    backout = incident_services.start_backout(
        incident=incident, change=world.changes["completed"], actor=lead, note="Redeploy 2.3.9."
    )
    # A finding recorded while it was mitigated, kept when it was reopened; and a resolved incident to record on.
    incident_services.set_incident_status(incident=incident, status="mitigated", actor=users["viewer"])
    finding = findings.record_finding(
        incident=incident, change=world.changes["in_progress"], role="confirmed_cause", actor=users["admin"], note="x"
    )
    incident = incident_services.set_incident_status(incident=incident, status="open", actor=users["viewer"])
    resolved = incident_services.open_incident(
        actor=users["viewer"], title="Earlier errors", started_at=timezone.now(), severity="sev3", hosts=hosts
    )
    resolved = incident_services.set_incident_status(incident=resolved, status="resolved", actor=users["viewer"])
    event = OutboxEvent.objects.filter(event_type="incident.opened").first() or OutboxEvent.objects.first()
    endpoint = WebhookEndpoint.objects.create(name="matrix", url="https://hooks.example.com/in", secret="s" * 32)
    world.objects = {
        "team": team,
        "ops": ops,
        "service": service,
        "tag": tag,
        "host": hosts[0],
        "incident": incident,
        "backout": backout,
        "finding": finding,
        "resolved_incident": resolved,
        "freeze": FreezeWindowFactory(name="Matrix freeze"),
        "template": ChangeTemplate.objects.create(
            name="Matrix template", title="Rotate logs", environment=environment("prod"), team=team
        ),
        "policy": ApprovalPolicy.objects.create(name="Matrix policy (inactive)", is_active=False),
        "group": Group.objects.create(name="matrix-group"),
        "approval": world.changes["approved"].approvals.first(),
        "webhook": endpoint,
        "delivery": WebhookDelivery.objects.create(endpoint=endpoint, event=event),
        "email": EmailNotification.objects.create(event=event, recipient="x@example.com", subject="s", body="b"),
        "ingest": IngestRecord.objects.create(
            kind=IngestKind.values[0], change=world.changes["completed"], actor=requester, dedup_key="matrix-1"
        ),
        "feed_token": regenerate_feed_token(user=requester),
        "requester_read_token": create_api_token(user=requester, name="ro", scope=TokenScope.READ).token,
        "requester_saved_view": create_saved_view(user=requester, page="calendar", name="Ops week", query="team=ops"),
        "integration_key": create_integration_key(
            actor=lead, name="Matrix pipeline", environment=environment("prod"), team=team
        ).key,
        "audit": audit.record(
            actor=users["admin"],
            obj=service,
            action=AuditAction.UPDATED,
            before={"description": ""},
            after={"description": "Matrix"},
            via=AuditVia.ADMIN,
        ),
    }
    world.objects |= _chat_objects(team, lead, world.changes["submitted"], event)
    for role in ("viewer", "requester", "lead", "admin"):
        world.tokens[role] = create_api_token(user=users[role], name="rw", scope=TokenScope.READ_WRITE).plaintext
    world.tokens["read_only"] = create_api_token(user=requester, name="ro2", scope=TokenScope.READ).plaintext
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        world.sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


def _chat_objects(team, lead, change, event) -> dict:
    """Made last, so the changes above posted to no channel. The URL is encrypted as the chat page stores it."""
    channel = ChatChannel(name="Matrix chat", kind=ChatKind.SLACK, team=team, owner=lead, topics=["failed"])
    channel.set_url("https://hooks.example.com/services/T0/B0/matrix")
    channel.save()
    delivery = ChatDelivery.objects.create(channel=channel, event=event, key="matrix", topic="failed", body={})
    return {
        "chat_channel": channel,
        "chat_delivery": delivery,
        "chat_attempt": ChatAttempt.objects.create(delivery=delivery, number=1, outcome="failed", duration_ms=3),
        "slack_link": SlackUserLink.objects.create(user=lead, slack_user_id="U0MATRIX01"),
        "slack_action": SlackAction.objects.create(
            slack_user_id="U0MATRIX01", user=lead, change=change, action="approve", outcome="refused"
        ),
    }


def rolled_back_world(django_db_blocker):
    """Yield the world built inside a transaction that is rolled back afterwards; pytest-django runs each test in
    a savepoint of it, so what a request writes is gone before the next test. Use as a module-scoped fixture."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def private_throttle_cache() -> LocMemCache:
    # The matrix sends far more anonymous requests than API_RATE_ANON allows per minute from one address.
    return LocMemCache(f"matrix-throttle-{uuid.uuid4()}", {})


def ui_client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


def api_client(world, role) -> APIClient:
    if role == "session":
        client = APIClient(enforce_csrf_checks=True)
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions["requester"]
    else:
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {world.tokens[role]}")
    return client
