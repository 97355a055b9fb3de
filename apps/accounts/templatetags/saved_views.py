"""Filter chips and saved views for the filtered pages (calendar, change list) and the profile.

The chips are plain links that drop one value from the URL, so they work without JavaScript; pickers.js turns a
click into deselecting that value in the filter form, which then refreshes the results through htmx.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms, template
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.text import capfirst

from apps.accounts.choices import SavedViewPage
from apps.accounts.models import SavedView

register = template.Library()


@dataclass(frozen=True)
class Chip:
    field: str
    field_label: str
    value: str
    label: str
    query: str  # the URL's query string without this value


def _labels(field: forms.Field, values: list[str]) -> dict[str, str]:
    """Display names of the chosen values; a value nobody knows keeps its raw text."""
    if isinstance(field, forms.ModelChoiceField):
        key = field.to_field_name or "pk"
        try:
            return {str(getattr(obj, key)): str(obj) for obj in field.queryset.filter(**{f"{key}__in": values})}
        except (ValueError, ValidationError):
            return {}
    choices = getattr(field, "choices", None) or getattr(field.widget, "choices", None) or []
    return {str(value): str(label) for value, label in choices if not isinstance(label, list | tuple)}


def filter_chips(form: forms.Form, params: QueryDict, *, dropped: tuple[str, ...] = ("page",)) -> list[Chip]:
    """One chip per chosen filter value, in the form's field order."""
    chips = []
    for name, field in form.fields.items():
        values = [value for value in params.getlist(name) if value.strip()]
        if not values:
            continue
        labels = _labels(field, values)
        for value in values:
            rest = params.copy()
            rest.setlist(name, [other for other in values if other != value])
            for key in dropped:
                rest.pop(key, None)
            label = labels.get(value, value)
            # django-filter may label a filter by its model field's lower-case verbose name: capitalised, as on the form
            chips.append(Chip(name, capfirst(str(form[name].label)), value, label, rest.urlencode()))
    return chips


@register.inclusion_tag("components/active_filters.html", takes_context=True)
def active_filters(context, form, form_id: str):
    """The row of chosen filters above the results, each removable on its own."""
    request = context["request"]
    chips = filter_chips(form, request.GET)
    cleared = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key not in form.fields and key != "page":
            cleared.setlist(key, values)
    return {"chips": chips, "path": request.path, "form_id": form_id, "cleared": cleared.urlencode()}


@register.inclusion_tag("components/saved_views.html", takes_context=True)
def saved_views(context, page: str):
    """The user's saved views of this page, and a form to save the current filters as one more."""
    request = context["request"]
    choice = SavedViewPage(page)
    return {
        "views": list(SavedView.objects.filter(user=request.user, page=choice)),
        "page": choice,
        "query": request.GET.urlencode(),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("accounts/partials/saved_views_card.html", takes_context=True)
def saved_views_card(context):
    """Every saved view of the user, on the profile page, with its link and a delete button."""
    request = context["request"]
    return {
        "views": list(SavedView.objects.filter(user=request.user)),
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
