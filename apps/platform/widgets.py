"""Form widgets that render their options in Python.

Django renders each ``<option>`` of a select through a template (``select_option.html`` and ``attrs.html``), about
40 µs an option. The change filters show ~140 options on every change list and calendar page, and the calendar's
whole budget is a few tens of milliseconds. These widgets write the same HTML with ``format_html``, which escapes
each value as the templates do; a choice list with option groups still goes through Django's templates.
"""

from __future__ import annotations

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def _attributes(attrs: dict) -> SafeString:
    """``attrs`` as Django's ``attrs.html`` writes them: in order, True as a bare name, False left out."""
    parts = []
    for name, value in attrs.items():
        if value is True:
            parts.append(format_html(" {}", name))
        elif value is not False:
            parts.append(format_html(' {}="{}"', name, value))
    return mark_safe("".join(parts))


class QuickSelectMultiple(forms.SelectMultiple):
    """A ``<select multiple>`` whose options are written in Python (the same HTML as ``forms.SelectMultiple``)."""

    def _listed_choices(self) -> list:
        choices = self.choices
        if isinstance(choices, ModelChoiceIterator):
            # Read with one plain query: iterating the choices reads them through queryset.iterator(), a server-side
            # cursor on PostgreSQL (DECLARE, FETCH and CLOSE: three round trips for a few rows).
            empty = [] if choices.field.empty_label is None else [("", choices.field.empty_label)]
            return empty + [choices.choice(row) for row in choices.queryset.all()]
        return list(choices)

    def render(self, name, value, attrs=None, renderer=None):
        choices = [("" if option is None else option, label) for option, label in self._listed_choices()]
        if any(isinstance(label, list | tuple) for _option, label in choices):
            return super().render(name, value, attrs, renderer)  # option groups: Django's templates
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["multiple"] = True  # as Select.get_context sets it
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>\n',  # each option template ends with a newline
            ((option, " selected" if str(option) in selected else "", label) for option, label in choices),
        )
        return format_html('<select name="{}"{}>{}\n</select>', name, _attributes(final_attrs), options)
