"""``AuditedAdmin``: a ModelAdmin mixin that records every create, edit and delete made in the admin."""

from django.db import router, transaction

from apps.audit.choices import AuditAction, AuditVia
from apps.audit.services import audited_fields, record, snapshot


class AuditedAdmin:
    """Put before ``admin.ModelAdmin`` in the bases. One audit entry per object saved or deleted through the admin
    (change form, ``list_editable``, "delete selected"), with the signed-in user and ``via="admin"``.

    ``audit_fields`` (default: every editable field and plain many-to-many) and ``audit_related`` (reverse
    relations edited in inlines, e.g. ``("requirements",)``) name what the entry compares. The "before" snapshot is
    read from the database in ``save_model`` (nothing is written yet: many-to-manys and inlines are saved later,
    in ``save_related``), the "after" one from the database once ``save_related`` has saved them."""

    audit_fields: tuple[str, ...] | None = None
    audit_related: tuple[str, ...] = ()

    def get_audit_fields(self) -> list[str]:
        fields = audited_fields(self.model) if self.audit_fields is None else list(self.audit_fields)
        return [*fields, *self.audit_related]

    def save_model(self, request, obj, form, change):
        stored = self.model._default_manager.filter(pk=obj.pk).first() if change and obj.pk is not None else None
        obj._audit_before = snapshot(stored, self.get_audit_fields()) if stored is not None else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        # Read back what was stored (a form may leave "" in memory where the database keeps NULL).
        stored = self.model._default_manager.get(pk=obj.pk)
        record(
            actor=request.user,
            obj=stored,
            action=AuditAction.UPDATED if change else AuditAction.CREATED,
            before=getattr(obj, "_audit_before", {}),
            after=snapshot(stored, self.get_audit_fields()),
            via=AuditVia.ADMIN,
        )

    def delete_model(self, request, obj):
        before, pk = snapshot(obj, self.get_audit_fields()), obj.pk
        super().delete_model(request, obj)
        record(
            actor=request.user,
            obj=obj,
            action=AuditAction.DELETED,
            before=before,
            after={},
            via=AuditVia.ADMIN,
            object_id=pk,
        )

    def delete_queryset(self, request, queryset):
        with transaction.atomic(using=router.db_for_write(self.model)):
            doomed = [(obj, obj.pk, snapshot(obj, self.get_audit_fields())) for obj in queryset]
            super().delete_queryset(request, queryset)
            for obj, pk, before in doomed:
                record(
                    actor=request.user,
                    obj=obj,
                    action=AuditAction.DELETED,
                    before=before,
                    after={},
                    via=AuditVia.ADMIN,
                    object_id=pk,
                )
