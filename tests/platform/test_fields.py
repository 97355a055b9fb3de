from django import forms

from apps.incidents.models import Incident
from apps.webhooks.models import WebhookEndpoint


def test_model_url_fields_assume_https_without_a_deprecation_warning():
    # The suite turns RemovedInDjango60Warning into an error, so building the form fields is the warning check.
    for field in (WebhookEndpoint._meta.get_field("url"), Incident._meta.get_field("bridge_url")):
        formfield = field.formfield()
        assert isinstance(formfield, forms.URLField)
        assert formfield.clean("hooks.example.com/in") == "https://hooks.example.com/in"


def test_migrations_see_a_plain_url_field():
    _name, path, _args, _kwargs = WebhookEndpoint._meta.get_field("url").deconstruct()
    assert path == "django.db.models.URLField"
