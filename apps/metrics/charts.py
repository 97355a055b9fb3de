"""Server-rendered SVG charts: weekly bars and lines, no JavaScript.

The CSP allows no inline style, so every colour and stroke comes from classes in static/css/metrics.css (which use
the theme's variables with fallbacks, and currentColor, so the charts follow dark mode and print in black). Each
chart is ``role="img"`` with a <title> and <desc>; the page puts its numbers in a table next to it, and in CSV.
A week without data draws a small "no data" mark on the axis, never a bar of 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 24
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # a class of static/css/metrics.css: s1 … s5
    values: Sequence[float | None]


def nice_max(largest: float) -> float:
    """A round top for the axis, at least the largest value."""
    if largest <= 0:
        return 1.0
    for step in (1, 2, 2.5, 5):
        magnitude = 10 ** (len(str(int(largest))) - 1)
        top = step * magnitude
        if top >= largest:
            return float(top)
    return float(10 ** len(str(int(largest))))


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _frame(title: str, desc: str, body: SafeString, top: float, unit: str, labels: Sequence[str]) -> SafeString:
    every = max(1, round(len(labels) / 8))
    slot = PLOT_W / max(len(labels), 1)
    ticks = format_html_join(
        "",
        '<text class="metrics-label" x="{}" y="{}" text-anchor="middle">{}</text>',
        ((f"{LEFT + slot * (i + 0.5):.1f}", HEIGHT - 6, label) for i, label in enumerate(labels) if i % every == 0),
    )
    return format_html(
        '<svg class="metrics-chart" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" '
        'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-t">{title}</title><desc id="{id}-d">{desc}</desc>'
        '<line class="metrics-axis" x1="{l}" y1="{base}" x2="{r}" y2="{base}"/>'
        '<line class="metrics-grid" x1="{l}" y1="{t}" x2="{r}" y2="{t}"/>'
        '<text class="metrics-label" x="{lx}" y="{ty}" text-anchor="end">{top}{unit}</text>'
        '<text class="metrics-label" x="{lx}" y="{by}" text-anchor="end">0</text>'
        "{body}{ticks}</svg>",
        w=WIDTH,
        h=HEIGHT,
        id=_slug(title),
        title=title,
        desc=desc,
        l=LEFT,
        r=WIDTH - RIGHT,
        t=TOP,
        base=TOP + PLOT_H,
        lx=LEFT - 4,
        ty=TOP + 4,
        by=TOP + PLOT_H + 4,
        top=_fmt(top),
        unit=unit,
        body=body,
        ticks=ticks,
    )


def _slug(text: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40]


def _no_data(x: float) -> SafeString:
    return format_html(
        '<g class="metrics-nodata"><title>no data</title><line x1="{}" y1="{}" x2="{}" y2="{}"/></g>',
        f"{x - 3:.1f}",
        TOP + PLOT_H - 3,
        f"{x + 3:.1f}",
        TOP + PLOT_H + 3,
    )


def bar_chart(
    labels: Sequence[str], values: Sequence[float | None], *, title: str, desc: str, unit: str = "", top=None
) -> SafeString:
    """One bar per week; ``None`` is "no data"."""
    known = [value for value in values if value is not None]
    axis_top = float(top) if top is not None else nice_max(max(known, default=0))
    slot = PLOT_W / max(len(labels), 1)
    parts = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * i
        if value is None:
            parts.append(_no_data(x + slot / 2))
            continue
        height = PLOT_H * min(value, axis_top) / axis_top
        parts.append(
            format_html(
                '<rect class="metrics-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}{}</title></rect>',
                f"{x + slot * 0.15:.1f}",
                f"{TOP + PLOT_H - height:.1f}",
                f"{slot * 0.7:.1f}",
                f"{height:.1f}",
                label,
                _fmt(value),
                unit,
            )
        )
    return _frame(title, desc, mark_safe("".join(parts)), axis_top, unit, labels)  # noqa: S308 (escaped above)


def line_chart(labels: Sequence[str], series: Sequence[Series], *, title: str, desc: str, unit: str = "") -> SafeString:
    """One line per series, a dot per week with data; weeks without data break the line."""
    known = [value for line in series for value in line.values if value is not None]
    axis_top = nice_max(max(known, default=0))
    slot = PLOT_W / max(len(labels), 1)
    parts = []
    for line in series:
        runs: list[list[str]] = [[]]
        for i, (label, value) in enumerate(zip(labels, line.values, strict=True)):
            x = LEFT + slot * (i + 0.5)
            if value is None:
                runs.append([])
                continue
            y = TOP + PLOT_H - PLOT_H * min(value, axis_top) / axis_top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                format_html(
                    '<circle class="metrics-dot {}" cx="{}" cy="{}" r="2.5"><title>{} {}: {}{}</title></circle>',
                    line.css,
                    f"{x:.1f}",
                    f"{y:.1f}",
                    line.name,
                    label,
                    _fmt(value),
                    unit,
                )
            )
        for run in runs:
            if len(run) > 1:
                parts.append(format_html('<polyline class="metrics-line {}" points="{}"/>', line.css, " ".join(run)))
    for n, line in enumerate(series):  # the key, top right: "— median  - - p90"
        parts.append(
            format_html(
                '<text class="metrics-label metrics-key {}" x="{}" y="{}" text-anchor="end">{} {}</text>',
                line.css,
                WIDTH - RIGHT - 70 * (len(series) - 1 - n),
                TOP + 8,
                "—" if n == 0 else "- -",
                line.name,
            )
        )
    for i, values in enumerate(zip(*(line.values for line in series), strict=True)):
        if all(value is None for value in values):
            parts.append(_no_data(LEFT + slot * (i + 0.5)))
    return _frame(title, desc, mark_safe("".join(parts)), axis_top, unit, labels)  # noqa: S308 (escaped above)


def team_bars(rows: Sequence[tuple[str, float | None]], *, title: str, desc: str) -> SafeString:
    """Horizontal bars of a percentage per team."""
    row_h = 22
    height = TOP + row_h * max(len(rows), 1) + 8
    label_w = 180
    width = WIDTH - label_w - 60
    parts = []
    for i, (name, value) in enumerate(rows):
        y = TOP + row_h * i
        parts.append(
            format_html(
                '<text class="metrics-label" x="{}" y="{}" text-anchor="end">{}</text>', label_w - 6, y + 14, name
            )
        )
        if value is None:
            parts.append(format_html('<text class="metrics-label" x="{}" y="{}">no data</text>', label_w + 4, y + 14))
            continue
        parts.append(
            format_html(
                '<rect class="metrics-bar" x="{}" y="{}" width="{}" height="{}"><title>{}: {}%</title></rect>'
                '<text class="metrics-label" x="{}" y="{}">{}%</text>',
                label_w,
                y + 3,
                f"{width * value / 100:.1f}",
                row_h - 8,
                name,
                _fmt(value),
                f"{label_w + width * value / 100 + 4:.1f}",
                y + 14,
                _fmt(value),
            )
        )
    return format_html(
        '<svg class="metrics-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{id}-t {id}-d" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>{}</svg>',
        WIDTH,
        height,
        title,
        desc,
        mark_safe("".join(parts)),  # noqa: S308 (escaped above)
        id=_slug(title),
    )
