"""The demo history (make run) gives the metrics page real figures: its three weeks of history, the release
night's post-mortem and the earlier resolved incidents (apps/dashboard/demo/findings.py)."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from apps.dashboard.demo.loader import load_demo
from apps.metrics.period import MetricsForm, MetricsQuery
from apps.metrics.report import build_report


@pytest.mark.django_db
def test_the_demo_fills_the_metrics_page(client):
    load_demo()
    form = MetricsForm({}, zone=ZoneInfo("UTC"), now=timezone.now())
    assert form.is_valid()
    report = build_report(MetricsQuery.from_form(form))
    weeks_with_deployments = [week for week in report.weeks if week.counts.deployments]
    assert len(weeks_with_deployments) >= 3  # the demo covers three weeks back
    totals = report.totals
    assert totals.failing and totals.rework and totals.backed_out
    assert totals.outside_window and report.lead.count and report.approval_to_start.count
    assert report.recovery.count  # the story's incidents, resolved, with confirmed causes
    assert len(report.teams) == 3

    client.force_login(get_user_model().objects.get(username="dana"))
    html = client.get(reverse("metrics:page")).content.decode()
    assert html.count('class="metrics-bar"') >= 3 and "<polyline" in html
    assert re.search(r'id="fail-rate">\d+ of \d+, \d+%<', html)
    assert re.search(r'id="accuracy-top1">\d+ of \d+ \(\d+%\)<', html)
