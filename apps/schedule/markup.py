"""The HTML of one calendar entry, built in Python.

A week shows up to ~500 entries (more in a month), each with a tooltip and a screen-reader note. Rendered
through ``{% include %}`` each cost ~20 template variable lookups, escapes and a context copy, most of the
page's render time; here each entry's fixed parts are escaped once and only the placement (grid classes,
start time) changes per day or lane. User text (title, names, tooltip) goes through ``escape``; the
placement classes and times are made by ``apps.schedule`` itself, never from input.
"""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def link_parts(entry) -> tuple[str, str]:
    """The entry's link around its place classes and start time, escaped once per entry."""
    change = entry.change
    flag = ""
    if entry.collisions:
        flag = (
            '<span class="ev-flag">⚠<span class="visually-hidden"> collides with '
            f"{escape(entry.collision_text)},</span></span> "
        )
    head = (
        f'{escape(entry.css)}" href="{entry.url}" title="{entry.tooltip_attr}" data-change="{change.pk}">\n'
        f'  <span class="ev-time">{flag}'
    )
    tail = (
        f'<span class="ev-ref">{change.reference}</span></span>\n'
        f'  <span class="ev-title">{escape(change.title)}</span>\n'
        f'  <span class="ev-meta">{escape(entry.meta)}</span>\n</a>\n'
    )
    return head, tail


def place_link(parts: tuple[str, str], place: str, time: str = "") -> SafeString:
    """``<a class="ev …">`` placed by the ``place`` classes, with the start ``time`` if given."""
    head, tail = parts
    return mark_safe(f'<a class="ev {place} {head}{time + " " if time else ""}{tail}')


def entry_line(entry) -> SafeString:
    """One ``<li>`` of a "+N more" list: start, reference, title and status."""
    change = entry.change
    flag = '<span aria-label="collision">⚠</span> ' if entry.collisions else ""
    return mark_safe(
        f'<li><a class="ev-line {escape(entry.css)}" href="{entry.url}" title="{entry.tooltip_attr}">{flag}'
        f'<span class="mono">{entry.start:%a %H:%M}</span> {change.reference} {escape(change.title)} '
        f'<span class="muted">· {escape(entry.status_label)}</span></a></li>'
    )
