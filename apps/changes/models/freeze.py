from django.core.exceptions import ValidationError
from django.db import models


class FreezeWindowQuerySet(models.QuerySet):
    def overlapping(self, start, end):
        return self.filter(start__lt=end, end__gt=start)


class FreezeWindow(models.Model):
    """A period in which changes to the given environments need an exception."""

    name = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()
    environments = models.ManyToManyField("inventory.Environment", related_name="freeze_windows")
    reason = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = FreezeWindowQuerySet.as_manager()

    class Meta:
        ordering = ["start"]
        indexes = [models.Index(fields=["start", "end"], name="freeze_window_span")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The end must be after the start."})
