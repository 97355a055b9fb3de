"""The HTML of one calendar entry, built in Python.

A week shows up to ~500 entries (more in a month), each with a tooltip and a screen-reader note. Rendered
through ``{% include %}`` each cost ~20 template variable lookups, escapes and a context copy, most of the
page's render time; here each entry's fixed parts are built once and only the placement (grid classes,
start time) changes per day or lane. Everything goes through ``format_html``, which escapes each value that is
not already safe: user text (title, names, tooltip) and the placement classes and times alike, escaping by
construction rather than by remembering to.
"""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

_FLAG = '<span class="ev-flag">⚠<span class="visually-hidden"> collides with {},</span></span> '
_HEAD = '{}" href="{}" title="{}" data-change="{}">\n  <span class="ev-time">{}'
_TAIL = (
    '<span class="ev-ref">{}</span></span>\n'
    '  <span class="ev-title">{}</span>\n'
    '  <span class="ev-meta">{}</span>\n</a>\n'
)
_LINE = (
    '<li><a class="ev-line {}" href="{}" title="{}">{}'
    '<span class="mono">{}</span> {} {} '
    '<span class="muted">· {}</span></a></li>'
)
_LINE_FLAG = mark_safe('<span aria-label="collision">⚠</span> ')  # a constant: nothing to escape
# A dense run's changes starting in one bucket (an hour, or a day of a week timeline): a count that expands.
# Collisions and freezes show on the closed stack too. A week holds ~120 stacks: one {% include %} each was a
# tenth of the page's render time.
_STACK = (
    '\n<details class="stack {}{}{}">\n'
    '  <summary><span class="stack-when">{}</span> <strong>{}</strong><span class="stack-noun"> change{}</span>{}{}'
    "</summary>\n"
    '  <div class="more-list"><ul>{}</ul></div>\n</details>\n'
)
_STACK_FLAG = (
    ' <span class="stack-flag" title="{} with a collision">⚠{}<span class="visually-hidden"> with a collision</span>'
    "</span>"
)
_STACK_FREEZE = (
    ' <span class="stack-freeze" title="Change freeze: {}">❄<span class="visually-hidden"> during the freeze {}'
    "</span></span>"
)


def link_parts(entry) -> tuple[SafeString, SafeString]:
    """The entry's link around its place classes and start time, escaped once per entry."""
    change = entry.change
    flag = format_html(_FLAG, entry.collision_text) if entry.collisions else ""
    head = format_html(_HEAD, entry.css, entry.url, entry.tooltip_attr, change.pk, flag)
    tail = format_html(_TAIL, change.reference, change.title, entry.meta)
    return head, tail


def place_link(parts: tuple[SafeString, SafeString], place: str, time: str = "") -> SafeString:
    """``<a class="ev …">`` placed by the ``place`` classes, with the start ``time`` if given."""
    head, tail = parts
    return format_html('<a class="ev {} {}{}{}', place, head, f"{time} " if time else "", tail)


def entry_line(entry) -> SafeString:
    """One ``<li>`` of a "+N more" list: start, reference, title and status."""
    change = entry.change
    flag = _LINE_FLAG if entry.collisions else ""
    return format_html(
        _LINE,
        entry.css,
        entry.url,
        entry.tooltip_attr,
        flag,
        f"{entry.start:%a %H:%M}",
        change.reference,
        change.title,
        entry.status_label,
    )


def stack_html(stack) -> SafeString:
    """A ``<details>`` stack of a day column or a timeline lane, placed by ``stack.place``, listing its entries."""
    collisions, count = stack.collisions, stack.count
    flag = format_html(_STACK_FLAG, collisions, collisions) if collisions else ""
    frozen = ", ".join(stack.frozen)
    freeze = format_html(_STACK_FREEZE, frozen, frozen) if stack.frozen else ""
    return format_html(
        _STACK,
        stack.place,
        " stack-collides" if collisions else "",
        " stack-frozen" if stack.frozen else "",
        stack.label,
        count,
        "" if count == 1 else "s",
        flag,
        freeze,
        format_html_join("", "{}", ((entry.line,) for entry in stack.entries)),
    )
