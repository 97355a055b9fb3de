"""What the bridge records while it works: notes, verdicts on suspects, and backouts."""

from django.conf import settings
from django.db import models

from apps.incidents.choices import NoteKind, Verdict


def _name(user) -> str:
    return user.get_username() if user is not None and user.is_authenticated else ""


class IncidentNote(models.Model):
    """One line of the incident's timeline: a participant's note or an event the services wrote."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=20, choices=NoteKind.choices, default=NoteKind.NOTE)
    text = models.TextField()
    change = models.ForeignKey(
        "changes.Change", on_delete=models.SET_NULL, null=True, blank=True, related_name="incident_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is deleted.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["incident", "created"], name="incident_note_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on INC-{self.incident_id} by {self.author_name or 'system'}"

    def save(self, *args, **kwargs):
        if not self.author_name:
            self.author_name = _name(self.author)
        super().save(*args, **kwargs)


class SuspectMark(models.Model):
    """A verdict on one suspect change. Marks are kept as history; the latest per change is the current one."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="marks")
    change = models.ForeignKey("changes.Change", on_delete=models.CASCADE, related_name="suspect_marks")
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    note = models.TextField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_by_name = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["incident", "change", "created"], name="suspect_mark_latest")]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()}: CHG-{self.change_id} on INC-{self.incident_id}"

    def save(self, *args, **kwargs):
        if not self.marked_by_name:
            self.marked_by_name = _name(self.marked_by)
        super().save(*args, **kwargs)

    def get_verdict_color(self) -> str:
        return Verdict.colors().get(self.verdict, "gray")


class Backout(models.Model):
    """Undoing one change during an incident. Per-host progress lives on the change's host links
    (state rolled_back, like a forward execution); the change itself ends as backed_out."""

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="backouts")
    change = models.ForeignKey("changes.Change", on_delete=models.PROTECT, related_name="incident_backouts")
    note = models.TextField(help_text="Why it is backed out, and how.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by_name = models.CharField(max_length=150, blank=True)
    started_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completion_note = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [models.UniqueConstraint(fields=["change"], name="one_backout_per_change")]

    def __str__(self) -> str:
        return f"Backout of CHG-{self.change_id} (INC-{self.incident_id})"

    def save(self, *args, **kwargs):
        if not self.started_by_name:
            self.started_by_name = _name(self.started_by)
        super().save(*args, **kwargs)

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None
