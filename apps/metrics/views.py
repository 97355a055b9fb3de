"""The metrics page, each metric's CSV, the lists behind the figures, and the definitions (docs/metrics.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt

from apps.metrics import accuracy_section, sets
from apps.metrics.page import PLAN_LABELS, sections
from apps.metrics.period import MetricsForm, MetricsQuery
from apps.metrics.report import build_report
from apps.metrics.tables import METRICS, to_csv

PAGE_SIZE = 50
DEFINITIONS = Path(settings.BASE_DIR) / "docs" / "metrics.md"


def _form(request) -> tuple[MetricsForm, MetricsQuery | None]:
    form = MetricsForm(request.GET, zone=timezone.get_current_timezone(), now=timezone.now())
    if not form.is_valid():
        return form, None
    return form, MetricsQuery.from_form(form)


@login_required
@require_GET
def metrics_page(request):
    form, query = _form(request)
    context: dict = {"form": form, "query": query}
    if query is None:
        return render(request, "metrics/page.html", context, status=400)
    report = build_report(query)
    context.update(
        report=report,
        sections={section.anchor: section for section in sections(report)},
        params=query.params().urlencode(),
        plan_labels=PLAN_LABELS,
        accuracy=accuracy_section.build(query),
    )
    return render(request, "metrics/page.html", context)


@login_required
@require_GET
def metrics_csv(request, slug: str):
    metric = METRICS.get(slug)
    if metric is None:
        raise Http404("No such metric.")
    form, query = _form(request)
    if query is None:
        errors = "; ".join(f"{name}: {' '.join(str(m) for m in messages)}" for name, messages in form.errors.items())
        return HttpResponse(f"Bad parameters: {errors}", status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(to_csv(metric, build_report(query)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-{query.first}-{query.last}.csv"'
    return response


@login_required
@require_GET
def metrics_list(request, name: str):
    if name not in sets.LISTS:
        raise Http404("No such list.")
    form, query = _form(request)
    context: dict = {"form": form, "query": query, "name": name, "label": sets.LISTS[name][1]}
    if query is None:
        return render(request, "metrics/list.html", context, status=400)
    page = Paginator(sets.listed(query, name), PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(page=page, params=query.params().urlencode())
    return render(request, "metrics/list.html", context)


@cache
def _definitions() -> SafeString:
    # Our own document, HTML allowed for its anchors (<a id="…">): the page's figures link to them.
    return mark_safe(MarkdownIt("commonmark", {"html": True}).enable("table").render(DEFINITIONS.read_text()))  # noqa: S308


@login_required
@require_GET
def definitions(request):
    return render(request, "metrics/definitions.html", {"definitions": _definitions()})
