"""Records that are written once and never changed: the change activity log and the audit log.

The model refuses to save an existing row and to delete one; its queryset refuses bulk updates and deletes.
"""

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to rewrite or delete an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"The {self.model._meta.verbose_name} log is append-only.")

    def delete(self):
        raise AppendOnlyError(f"The {self.model._meta.verbose_name} log is append-only.")


class AppendOnlyModel(models.Model):
    """An abstract base: rows are added, never rewritten; ``actor_name`` keeps the actor's name if it has one."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError(f"The {self._meta.verbose_name} log is append-only.")
        actor = getattr(self, "actor", None)
        if actor is not None and not getattr(self, "actor_name", ""):
            self.actor_name = actor.get_username()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"The {self._meta.verbose_name} log is append-only.")
