"""Model fields shared by the apps."""

from django.db import models


class HttpsURLField(models.URLField):
    """A URLField whose form field (the admin's too) reads a scheme-less entry as https, Django 6.0's default.

    Without ``assume_scheme`` Django 5.2 warns (RemovedInDjango60Warning) and assumes http. The column is a plain
    URLField: ``deconstruct`` names django's class, so migrations neither see nor depend on this one.
    """

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.URLField", args, kwargs
