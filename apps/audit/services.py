"""Recording configuration edits: take a snapshot before, another after, and store what differs.

Edges (the admin mixin, the API through the apps' services, commands) resolve who is acting and call ``record``
inside the transaction of the write, so an entry exists exactly when the edit was committed."""

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import ForeignObjectRel

from apps.audit.choices import AuditAction
from apps.audit.models import AuditEntry

REPR_LENGTH = AuditEntry._meta.get_field("object_repr").max_length
NAME_LENGTH = AuditEntry._meta.get_field("actor_name").max_length


def _auto_through(field) -> bool:
    """A plain many-to-many: its table is Django's own, not a model of ours with fields of its own."""
    through = field.remote_field.through
    return through is not None and bool(through._meta.auto_created)


def audited_fields(model: type[models.Model]) -> list[str]:
    """The fields an edit form can change: editable concrete fields (not the key) and plain many-to-manys."""
    opts = model._meta
    names = [field.name for field in opts.concrete_fields if field.editable and not field.primary_key]
    names += [field.name for field in opts.many_to_many if _auto_through(field)]
    return names


def json_safe(value):
    """A JSON-storable form of a field value: datetimes as ISO 8601 in UTC, objects by their name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    return str(value)


def _value(obj: models.Model, name: str):
    try:
        field = obj._meta.get_field(name)
    except FieldDoesNotExist:  # a property or method giving the value
        field = None
    if field is not None and (field.many_to_many or field.one_to_many):
        # Many-to-manys and reverse foreign keys (an inline's rows): the related objects' names, sorted.
        accessor = (field.get_accessor_name() or name) if isinstance(field, ForeignObjectRel) else name
        return sorted(str(related) for related in getattr(obj, accessor).all())
    value = getattr(obj, name)
    return json_safe(value() if callable(value) else value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict:
    """``{field: JSON-safe value}`` of ``obj`` now (many-to-manys and reverse relations read from the database)."""
    names = audited_fields(type(obj)) if fields is None else fields
    return {name: _value(obj, name) for name in names}


def _who(actor) -> tuple:
    """(user or None, name) of a user, of an ``apps.platform.actors.Actor`` (its person, or what the system is),
    or of None / an anonymous user (the system, unnamed)."""
    if actor is not None and hasattr(actor, "is_system") and hasattr(actor, "system"):
        if actor.is_system:
            return None, f"system: {actor.system}"[:NAME_LENGTH]
        actor = actor.user
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor, actor.get_username()
    return None, ""


def diff(before: dict, after: dict) -> dict:
    """``{field: {"before", "after"}}`` for the fields whose values differ (a missing side counts as None)."""
    changes = {}
    for name in [*before, *(name for name in after if name not in before)]:
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"before": old, "after": new}
    return changes


def record(
    *,
    actor,
    obj: models.Model,
    action: str,
    before: dict | None,
    after: dict | None,
    via: str,
    note: str = "",
    object_id=None,
) -> AuditEntry | None:
    """Append the entry of one create, edit or delete. An edit that changed nothing (and says nothing) is not
    recorded. For a delete, pass the ``object_id`` read before deleting (Django clears the instance's key)."""
    before, after = before or {}, after or {}
    if action == AuditAction.CREATED:
        after = {name: value for name, value in after.items() if value not in (None, "", [])}
    if action == AuditAction.DELETED:
        before = {name: value for name, value in before.items() if value not in (None, "", [])}
    changes = diff(before, after)
    if action == AuditAction.UPDATED and not changes and not note:
        return None
    user, name = _who(actor)
    return AuditEntry.objects.create(
        actor=user,
        actor_name=name,
        via=via,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk if object_id is None else object_id),
        object_repr=str(obj)[:REPR_LENGTH],
        changes=changes,
        note=note,
    )


def record_created_many(
    *, actor, objects: Sequence[models.Model], fields: Iterable[str], via: str, note: str = ""
) -> list[AuditEntry]:
    """The "created" entries of many new objects of one model in one insert (hosts first seen in a change event).
    ``fields`` should be plain fields already loaded (no many-to-many), so this reads nothing per object."""
    if not objects:
        return []
    user, name = _who(actor)
    content_type = ContentType.objects.get_for_model(objects[0])
    names = list(fields)
    entries = []
    for obj in objects:
        after = {name: value for name, value in snapshot(obj, names).items() if value not in (None, "", [])}
        entries.append(
            AuditEntry(
                actor=user,
                actor_name=name,
                via=via,
                action=AuditAction.CREATED,
                content_type=content_type,
                object_id=str(obj.pk),
                object_repr=str(obj)[:REPR_LENGTH],
                changes=diff({}, after),
                note=note,
            )
        )
    return AuditEntry.objects.bulk_create(entries)


def record_many(
    *, actor, model: type[models.Model], entries: Sequence[tuple], via: str, note: str = ""
) -> list[AuditEntry]:
    """The entries of many creates and edits of one model in one insert: ``entries`` are ``(obj, action, before,
    after)`` with snapshots the caller already holds, so this reads nothing per object. Edits that changed nothing
    are skipped (as ``record`` does)."""
    user, name = _who(actor)
    content_type = ContentType.objects.get_for_model(model)
    rows = []
    for obj, action, before, after in entries:
        if action == AuditAction.CREATED:
            after = {key: value for key, value in after.items() if value not in (None, "", [])}
        changes = diff(before or {}, after or {})
        if action == AuditAction.UPDATED and not changes and not note:
            continue
        rows.append(
            AuditEntry(
                actor=user,
                actor_name=name,
                via=via,
                action=action,
                content_type=content_type,
                object_id=str(obj.pk),
                object_repr=str(obj)[:REPR_LENGTH],
                changes=changes,
                note=note,
            )
        )
    return AuditEntry.objects.bulk_create(rows) if rows else []
