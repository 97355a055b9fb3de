"""The SVG helpers on their own: CSP-clean markup, escaped text, "no data" marks instead of zero bars."""

import re

from apps.metrics import charts
from apps.metrics.durations import percentile


def test_bars_escape_text_and_mark_missing_weeks():
    svg = charts.bar_chart(["1 Mar", "<b>8 Mar</b>"], [None, 40.0], title="Fail <rate>", desc="d", unit="%", top=100)
    assert "style=" not in svg
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "&lt;b&gt;8 Mar&lt;/b&gt;" in svg and "Fail &lt;rate&gt;" in svg
    assert svg.count('class="metrics-bar"') == 1  # the week without data draws no bar
    assert svg.count('class="metrics-nodata"') == 1
    height = float(re.search(r'class="metrics-bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg)[1])
    assert height == round(charts.PLOT_H * 0.4, 1)


def test_lines_break_on_missing_weeks():
    series = [charts.Series("median", "s1", [1.0, 2.0, None, 4.0, 5.0])]
    svg = charts.line_chart(["a", "b", "c", "d", "e"], series, title="Lead", desc="d", unit=" h")
    assert svg.count("<polyline") == 2  # a-b and d-e
    assert svg.count('class="metrics-nodata"') == 1
    assert "style=" not in svg


def test_nice_axis_tops():
    assert [charts.nice_max(v) for v in (0, 0.4, 3, 7, 26.5, 100, 101)] == [1, 1, 5, 10, 50, 100, 200]


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == 3.7
