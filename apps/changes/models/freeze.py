from dateutil.rrule import rrulestr
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


def parse_recurrence(rule: str, dtstart):
    """An RFC 5545 RRULE anchored at the window's first start. Raises ValueError on a bad rule."""
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    return rrulestr(text, dtstart=dtstart)


class FreezeWindowQuerySet(models.QuerySet):
    def candidates(self, start, end):
        """Windows that may have an occurrence in [start, end): one-off ones overlapping it, every recurring one
        that began before its end (recurrences are expanded by apps.changes.freeze)."""
        one_off = models.Q(recurrence="", start__lt=end, end__gt=start)
        recurring = ~models.Q(recurrence="") & models.Q(start__lt=end)
        return self.filter(one_off | recurring)


class FreezeWindow(models.Model):
    """A period in which changes to the given environments need an exception; it may recur."""

    name = models.CharField(max_length=200)
    start = models.DateTimeField(help_text="Start of the (first) occurrence.")
    end = models.DateTimeField(help_text="End of the (first) occurrence; every occurrence lasts as long.")
    recurrence = models.CharField(
        max_length=500,
        blank=True,
        help_text="Optional RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=SA for every Saturday. Empty: once.",
    )
    environments = models.ManyToManyField("inventory.Environment", related_name="freeze_windows")
    reason = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = FreezeWindowQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["start", "end"], name="freeze_window_span")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
        if self.recurrence and self.start:
            try:
                parse_recurrence(self.recurrence, self.start)
            except (ValueError, TypeError) as exc:
                raise ValidationError(
                    {"recurrence": f"Not a valid RRULE ({exc}). Example: FREQ=WEEKLY;BYDAY=SA"}
                ) from exc
