from datetime import timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.changes import state_machine
from apps.changes.choices import (
    ChangeKind,
    ChangeRisk,
    ChangeStatus,
    ChangeType,
    HostExecutionState,
    LinkKind,
)


def effective_window(planned_start, planned_end, actual_start=None, actual_end=None):
    """What the timeline indexes: actual times when known, planned otherwise, end never before start."""
    start = actual_start or planned_start
    end = actual_end or planned_end
    if start and end and end < start:
        end = start
    return start, end


def validate_links(value) -> None:
    if not isinstance(value, list):
        raise ValidationError("Links must be a list of {kind, url} objects.")
    check_url = URLValidator(schemes=["http", "https"])
    for position, link in enumerate(value, start=1):
        if not isinstance(link, dict) or not link.get("url"):
            raise ValidationError(f"Link {position} needs a url.")
        if link.get("kind", LinkKind.OTHER) not in LinkKind.values:
            raise ValidationError(f"Link {position}: kind must be one of {', '.join(LinkKind.values)}.")
        try:
            check_url(link["url"])
        except ValidationError as exc:
            raise ValidationError(f"Link {position}: {link['url']!r} is not a valid http(s) URL.") from exc


class ChangeQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        """Changes whose effective window overlaps [start, end)."""
        return self.filter(eff_start__lt=end, eff_end__gt=start)

    def active(self):
        return self.exclude(status__in=state_machine.NEVER_RAN)


class Change(models.Model):
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, default=ChangeKind.OTHER)
    change_type = models.CharField(max_length=20, choices=ChangeType.choices, default=ChangeType.NORMAL)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    implementation_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    risk = models.CharField(max_length=10, choices=ChangeRisk.choices, default=ChangeRisk.LOW)
    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="requested_changes"
    )
    environment = models.ForeignKey("inventory.Environment", on_delete=models.PROTECT, related_name="changes")
    services = models.ManyToManyField("inventory.Service", through="ChangeService", related_name="changes", blank=True)
    hosts = models.ManyToManyField("inventory.Host", through="ChangeHost", related_name="changes", blank=True)

    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    # Derived from the four times above on every save; copied onto each link row for the hot queries
    # (apps.changes.windows).
    eff_start = models.DateTimeField(editable=False)
    eff_end = models.DateTimeField(editable=False)

    status = models.CharField(max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    artifact = models.CharField(
        max_length=200, blank=True, help_text="What is deployed, e.g. 'openssl 3.0.13-1' or 'billing 2.4.0'."
    )
    links = models.JSONField(default=list, blank=True, validators=[validate_links])
    is_unplanned = models.BooleanField(
        default=False, help_text="Recorded from a change event; never submitted or approved."
    )
    template = models.ForeignKey(
        "changes.ChangeTemplate", on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    approved_at = models.DateTimeField(null=True, blank=True, help_text="When the last required approval came in.")
    approval_due_at = models.DateTimeField(
        null=True, blank=True, help_text="Emergency changes: the retroactive approval is due by then."
    )
    needs_freeze_exception = models.BooleanField(
        default=False, help_text="The planned window hits a freeze window; approval needs a freeze exception."
    )
    freeze_justification = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Bumped on every edit; detects stale forms.")
    # No host and no service linked: the change concerns its whole environment. Kept in step with the link rows
    # by apps.changes.environment_wide only (a save of an existing change never writes it, see save()). A new
    # change has no links yet; a row inserted by raw SQL (the bench) is taken to have some.
    environment_wide = models.BooleanField(default=True, db_default=False, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)  # create_change(at=...) may set it
    updated = models.DateTimeField(auto_now=True)

    objects = ChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-eff_start", "-id"]
        indexes = [
            models.Index(fields=["eff_start", "eff_end"], name="change_eff_window"),
            models.Index(fields=["environment", "eff_start"], name="change_env_eff_start"),
            # INCLUDE id: the ids of the in-progress, draft, rejected and cancelled changes of a time range from the
            # index alone (the suspects' and the calendar's status exceptions), not from ~800 heap pages.
            models.Index(fields=["status", "eff_start"], include=["id"], name="change_status_eff_start"),
            # The suspects' drift check: the changes that carry one of a few artifacts (apps.incidents.candidates).
            models.Index(fields=["artifact"], include=["id"], condition=~Q(artifact=""), name="change_artifact"),
            models.Index(fields=["updated", "id"], name="change_updated"),
            # The metrics (apps.metrics): changes that ran to an end in one environment over a period.
            models.Index(fields=["environment", "status", "actual_end"], name="change_env_status_end"),
            # The suspects' environment-wide candidates (apps.incidents.candidates): a few rows, not every change
            # of the environment in the window.
            models.Index(
                fields=["environment", "eff_start"], condition=Q(environment_wide=True), name="change_env_wide"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(planned_end__gt=models.F("planned_start")), name="change_planned_order"),
            models.CheckConstraint(condition=Q(eff_end__gte=models.F("eff_start")), name="change_eff_order"),
        ]

    def __str__(self) -> str:
        return f"CHG-{self.pk}: {self.title}" if self.pk else self.title

    def save(self, *args, **kwargs):
        self.eff_start, self.eff_end = effective_window(
            self.planned_start, self.planned_end, self.actual_start, self.actual_end
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"planned_start", "planned_end", "actual_start", "actual_end"} & set(
            update_fields
        ):
            kwargs["update_fields"] = set(update_fields) | {"eff_start", "eff_end"}
        elif update_fields is None and not self._state.adding and not kwargs.get("force_insert"):
            # An instance loaded before its links changed must not undo the flag; fields it was loaded without
            # stay as they are (what Django's save does for a deferred instance, without a query per field).
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [name for name in _saved_fields() if name not in deferred]
        # The copies on the link rows follow in post_save when the window moved (apps.changes.windows.follow).
        super().save(*args, **kwargs)
        self._loaded_window = (self.eff_start, self.eff_end)

    def get_absolute_url(self) -> str:
        return reverse("changes:change_detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_window = (instance.__dict__.get("eff_start"), instance.__dict__.get("eff_end"))
        return instance

    @property
    def window_moved(self) -> bool:
        """The effective window differs from the one last loaded or saved, which the link rows still carry."""
        return getattr(self, "_loaded_window", None) != (self.eff_start, self.eff_end)

    @property
    def reference(self) -> str:
        return f"CHG-{self.pk}"

    def get_status_color(self) -> str:
        return ChangeStatus.colors().get(self.status, "gray")

    def get_kind_color(self) -> str:
        return ChangeKind.colors().get(self.kind, "gray")

    def get_risk_color(self) -> str:
        return ChangeRisk.colors().get(self.risk, "gray")

    @property
    def is_approval_overdue(self) -> bool:
        """An emergency change that started without approval and is still unapproved past its deadline."""
        return bool(self.approval_due_at and not self.approved_at and self.approval_due_at < timezone.now())

    def clean(self) -> None:
        errors: dict[str, str] = {}
        max_hours = settings.MAX_CHANGE_DURATION_HOURS
        if self.planned_start and self.planned_end:
            if self.planned_end <= self.planned_start:
                errors["planned_end"] = "The planned end must be after the planned start."
            elif self.planned_end - self.planned_start > timedelta(hours=max_hours):
                errors["planned_end"] = (
                    f"A change may span at most {max_hours} hours; split longer work into several changes."
                )
        if self.actual_start and self.actual_end and self.actual_end < self.actual_start:
            errors["actual_end"] = "The actual end cannot be before the actual start."
        start, end = effective_window(self.planned_start, self.planned_end, self.actual_start, self.actual_end)
        if start and end and "planned_end" not in errors and end - start > timedelta(hours=max_hours):
            errors["actual_end"] = f"A change may span at most {max_hours} hours."
        if errors:
            raise ValidationError(errors)


@cache
def _saved_fields() -> tuple[str, ...]:
    """What saving an existing change writes: every column but environment_wide."""
    return tuple(f.name for f in Change._meta.concrete_fields if not f.primary_key and f.name != "environment_wide")


class ChangeHost(models.Model):
    """A host a change touches, with the change's execution state on that host."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="host_links")
    host = models.ForeignKey("inventory.Host", on_delete=models.PROTECT, related_name="change_links")
    state = models.CharField(max_length=20, choices=HostExecutionState.choices, default=HostExecutionState.PENDING)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    # Copies of Change.eff_start/eff_end so the host/time index is covering; written by apps.changes.windows only.
    eff_start = models.DateTimeField(editable=False)
    eff_end = models.DateTimeField(editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host__hostname"]
        constraints = [models.UniqueConstraint(fields=["change", "host"], name="unique_change_host")]
        indexes = [
            # The state is included for the drift check (applied on a QA/dev host), read from the index alone.
            models.Index(
                fields=["host", "eff_start", "change"], include=["eff_end", "state"], name="changehost_host_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change.reference} on {self.host}: {self.state}"

    def get_state_color(self) -> str:
        return HostExecutionState.colors().get(self.state, "gray")


class ChangeService(models.Model):
    """A service a change touches. Like ChangeHost, it carries the change's window for the service/time index."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="service_links")
    service = models.ForeignKey("inventory.Service", on_delete=models.CASCADE, related_name="change_links")
    # Copies of Change.eff_start/eff_end, written by apps.changes.windows only. Null only between the insert of a link
    # made through ``change.services.add()/set()`` and its post_add fill, in one transaction.
    eff_start = models.DateTimeField(null=True, editable=False)
    eff_end = models.DateTimeField(null=True, editable=False)

    class Meta:
        db_table = "changes_change_services"  # the table of the former auto-created many-to-many
        unique_together = [("change", "service")]
        indexes = [
            models.Index(
                fields=["service", "eff_start"], include=["eff_end", "change"], name="changeservice_service_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.change.reference} on {self.service}"
