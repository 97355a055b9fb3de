"""Filters for the metrics page: durations in words, and "no data" for a figure that has none (never 0)."""

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    if seconds is None:
        return "no data"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours = seconds / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


@register.filter
def cell(value) -> str:
    if value is None:
        return "no data"
    if isinstance(value, bool):
        return "partial" if value else ""
    return str(value)


@register.filter
def get(mapping: dict, key: str):
    return mapping.get(key)
