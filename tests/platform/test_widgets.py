"""QuickSelectMultiple writes exactly what Django's SelectMultiple renders through its templates."""

import pytest
from django import forms
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from apps.changes.filtersets import ChangeFilterSet
from apps.changes.models import Change
from apps.platform.widgets import QuickSelectMultiple
from tests.factories import ServiceFactory

CHOICES = [("a", "Plain"), ("<b>", 'Quote " & <tag>'), ("", "Empty value"), (3, "A number")]


def _both(choices, value, attrs=None, widget_attrs=None):
    django_widget = forms.SelectMultiple(attrs=widget_attrs, choices=choices)
    quick = QuickSelectMultiple(attrs=widget_attrs, choices=choices)
    return django_widget.render("pick", value, attrs), quick.render("pick", value, attrs)


@pytest.mark.parametrize("value", [None, [], ["a"], ["<b>", "3"], ["", "a", "missing"], "a"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "id_pick"}, {"id": "id_pick", "aria-invalid": "true", "disabled": True, "hidden": False}]
)
def test_the_same_html_as_django_for_any_value_and_attributes(value, attrs):
    expected, quick = _both(CHOICES, value, attrs, widget_attrs={"class": 'x"y', "data-picker": "true"})
    assert quick == expected
    assert "&lt;b&gt;" in quick and "<tag>" not in quick


def test_option_groups_are_left_to_django():
    grouped = [("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("other", "Other")]
    expected, quick = _both(grouped, ["pear"])
    assert quick == expected
    assert "<optgroup" in quick


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["", "environment=prod&kind=release&status=approved", "service=a-b&environment=bogus&risk=high"]
)
def test_the_change_filters_render_as_with_django_widgets(query):
    ServiceFactory(name="<script>alert(1)</script>", slug="a-b")
    filterset = ChangeFilterSet(QueryDict(query), queryset=Change.objects.all())
    filterset.is_valid()
    form = filterset.form
    quick_fields = [name for name, field in form.fields.items() if isinstance(field.widget, QuickSelectMultiple)]
    assert {"environment", "team", "kind", "status", "risk", "service"} <= set(quick_fields)
    for name in quick_fields:
        quick = str(form[name])
        field = form.fields[name]
        field.widget = forms.SelectMultiple(attrs=field.widget.attrs, choices=field.widget.choices)
        assert str(form[name]) == quick, name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(form["service"])


@pytest.mark.django_db
def test_model_choices_are_read_with_one_plain_query_each():
    filterset = ChangeFilterSet(QueryDict(""), queryset=Change.objects.all())
    form = filterset.form
    with CaptureQueriesContext(connection) as captured:
        for name in ("environment", "team", "service"):
            str(form[name])
    assert len(captured.captured_queries) == 3
    assert not [query for query in captured.captured_queries if "DECLARE" in query["sql"]]  # no server-side cursor
