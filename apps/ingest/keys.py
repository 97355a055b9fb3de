"""Integration keys for PagerDuty-compatible tools: created by leads and staff (shown once), found by hash, revoked.

A key is 32 hex characters, the length of a PagerDuty integration key, so clients that check the length accept
it. The database keeps only its SHA-256; 128 random bits make a plain hash safe. Who created and who revoked a key
and when stay on its row: keys are revoked, never deleted, and every event names the key it came with.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import Team
from apps.audit import services as audit
from apps.audit.choices import AuditAction, AuditVia
from apps.changes.choices import ChangeKind
from apps.changes.exceptions import ChangeForbidden
from apps.changes.permissions import memberships_of
from apps.ingest.models import IntegrationKey
from apps.inventory.models import Environment, Service

logger = logging.getLogger(__name__)
KEY_BYTES = 16
PREFIX_LENGTH = 6
HOST_FIELD_ROOTS = ("custom_details.", "payload.source")
LAST_USED_RESOLUTION = timedelta(minutes=1)
# What the audit log keeps of a key (never its hash).
AUDITED = ["name", "prefix", "environment", "team", "service", "kind", "host_field", "revoked_at", "revoked_by"]


@dataclass(frozen=True)
class NewKey:
    key: IntegrationKey
    plaintext: str


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def led_team_ids(user) -> set[int]:
    return {membership.team_id for membership in memberships_of(user) if membership.is_lead}


def may_manage(user, team: Team | None) -> bool:
    """Staff manage every key; a lead manages the keys of the teams they lead."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return team is not None and team.pk in led_team_ids(user)


def may_manage_any(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.is_superuser or led_team_ids(user)))


def visible_keys(user) -> QuerySet[IntegrationKey]:
    keys = IntegrationKey.objects.select_related("service", "environment", "team", "created_by", "revoked_by")
    if user.is_staff or user.is_superuser:
        return keys
    return keys.filter(team_id__in=led_team_ids(user))


def validate_host_field(value: str) -> str:
    value = value.strip()
    if value and not (value == "payload.source" or (value.startswith("custom_details.") and len(value) > 15)):
        raise ValidationError(
            {"host_field": "Give custom_details.<key> (e.g. custom_details.hosts), payload.source, or nothing."}
        )
    return value


@transaction.atomic
def create_integration_key(
    *,
    actor,
    name: str,
    via: str = AuditVia.UI,
    environment: Environment,
    team: Team | None = None,
    service: Service | None = None,
    kind: str = ChangeKind.RELEASE,
    host_field: str = "custom_details.hosts",
) -> NewKey:
    if not may_manage(actor, team):
        raise ChangeForbidden(
            "Only staff, or a lead of the key's team, can create integration keys."
            if team is not None
            else "Name one of the teams you lead: only staff create keys without a team."
        )
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the key after what will send with it."})
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": f"Unknown kind {kind!r}. Valid: {', '.join(ChangeKind.values)}."})
    plaintext = secrets.token_hex(KEY_BYTES)
    key = IntegrationKey.objects.create(
        name=name[:100],
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=hash_key(plaintext),
        environment=environment,
        team=team,
        service=service,
        kind=kind,
        host_field=validate_host_field(host_field),
        created_by=actor,
    )
    audit.record(
        actor=actor, obj=key, action=AuditAction.CREATED, before=None, after=audit.snapshot(key, AUDITED), via=via
    )
    logger.info("Integration key %s (%s) created by %s", key.pk, key.name, actor.get_username())
    return NewKey(key=key, plaintext=plaintext)


@transaction.atomic
def revoke_integration_key(*, actor, key: IntegrationKey, via: str = AuditVia.UI) -> IntegrationKey:
    locked = IntegrationKey.objects.select_for_update(of=("self",)).select_related("team").get(pk=key.pk)
    if not may_manage(actor, locked.team):
        raise ChangeForbidden("Only staff, or a lead of the key's team, can revoke this key.")
    if locked.revoked_at is None:
        before = audit.snapshot(locked, AUDITED)
        locked.revoked_at, locked.revoked_by = timezone.now(), actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=actor,
            obj=locked,
            action=AuditAction.UPDATED,
            before=before,
            after=audit.snapshot(locked, AUDITED),
            via=via,
        )
        logger.info("Integration key %s (%s) revoked by %s", locked.pk, locked.name, actor.get_username())
    return locked


def active_key(plaintext: str) -> IntegrationKey | None:
    """The active key with this value, or None (unknown and revoked keys alike)."""
    if not isinstance(plaintext, str) or not plaintext.strip() or "\x00" in plaintext:
        return None
    key = (
        IntegrationKey.objects.select_related("service", "environment", "team")
        .filter(key_hash=hash_key(plaintext.strip()), revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            IntegrationKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key
