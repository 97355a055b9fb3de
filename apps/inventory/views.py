from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from apps.audit.choices import AuditVia
from apps.audit.models import AuditEntry
from apps.inventory import importers, sync
from apps.inventory.filtersets import HostFilterSet
from apps.inventory.forms import HostImportForm
from apps.inventory.models import Host
from apps.platform.errors import DomainError
from apps.platform.htmx import render_page_or_partial

PAGE_SIZE = 50
HISTORY_SIZE = 20


@login_required
def host_list(request):
    queryset = Host.objects.select_related("environment").prefetch_related("services").order_by("hostname")
    filterset = HostFilterSet(request.GET or None, queryset=queryset)
    hosts = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
    page = Paginator(hosts, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "query": query.urlencode()}
    return render_page_or_partial(request, "inventory/host_list.html", "inventory/partials/host_table.html", context)


@login_required
def host_detail(request, hostname):
    host = get_object_or_404(
        Host.objects.select_related("environment").prefetch_related("services", "tags"), hostname=hostname.lower()
    )
    links = host.change_links.select_related("change", "change__environment", "change__team").order_by(
        "-eff_start", "-change_id"
    )[:50]
    history = AuditEntry.objects.for_object(host)[:HISTORY_SIZE]
    return render(request, "inventory/host_detail.html", {"host": host, "links": links, "history": history})


@login_required
def host_import(request):
    """Staff: upload an inventory file, see what it would change (a dry run), then apply it (all or nothing)."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = HostImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mapping = importers.load_mapping(data["mapping"]) if data["mapping"] else None
            rows = sync.read(data["format"], [data["content"]], mapping)
        except ValueError as exc:
            form.add_error(None, str(exc))
            return render(request, "inventory/host_import.html", context, status=400)
        plan = sync.plan(rows, retire_missing=data["retire_missing"])
        context.update(plan=plan, content=data["content"], applied=False)
        if "apply" in request.POST and not plan.errors:
            try:
                sync.apply(plan, actor=request.user, via=AuditVia.UI, note="Inventory import (upload)")
            except (sync.ImportFailed, DomainError) as exc:
                form.add_error(None, str(exc))
                return render(request, "inventory/host_import.html", context, status=409)
            context["applied"] = True
    return render(request, "inventory/host_import.html", context)
