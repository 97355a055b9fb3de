"""The requester's form: create, edit, clone, and the htmx helpers it calls while being filled in."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from apps.changes import hostpicker, permissions, services, state_machine
from apps.changes.choices import ChangeStatus
from apps.changes.collisions import find_collisions
from apps.changes.exceptions import ChangeError
from apps.changes.forms import ChangeForm
from apps.changes.guidance import guidance_for
from apps.changes.models import Change, ChangeTemplate
from apps.changes.views.picker import CHANGE_PICKER, picker_actions, picker_context, picker_search
from apps.inventory.models import Environment, Service


def _intent(request) -> str:
    return ChangeForm.INTENT_SUBMIT if request.POST.get("intent") == "submit" else ChangeForm.INTENT_DRAFT


def _apply_error(form: ChangeForm, exc: Exception) -> None:
    if isinstance(exc, ChangeError):
        form.add_error(None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _next_slot() -> timezone.datetime:
    """Tomorrow at the next whole hour: a sensible default that is never in the past."""
    now = timezone.localtime()
    return (now + timedelta(days=1)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _default_initial(user) -> dict:
    start = _next_slot()
    membership = user.team_memberships.select_related("team").first()
    production = Environment.objects.filter(is_production=True).first()
    return {
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        "team": membership.team if membership else None,
        "environment": production,
    }


def _template_initial(template: ChangeTemplate, user) -> dict:
    start = _next_slot()
    initial = {
        name: getattr(template, name)
        for name in ("kind", "title", "summary", "implementation_plan", "backout_plan", "test_plan", "risk")
    }
    return initial | {
        "environment": template.environment,
        "team": template.team or _default_initial(user)["team"],
        "services": list(template.services.all()),
        "planned_start": start,
        "planned_end": start + timedelta(minutes=template.duration_minutes),
        "template": template,
        "change_type": "standard" if template.is_standard else "normal",
    }


def _clone_initial(source: Change) -> dict:
    duration = source.planned_end - source.planned_start
    start = source.planned_start
    if start < timezone.now():
        # Recurring work (the monthly patch) keeps its weekday and hour: move it forward by whole weeks.
        weeks = (timezone.now() - start).days // 7 + 1
        start += timedelta(weeks=weeks)
    initial = {
        name: getattr(source, name)
        for name in ChangeForm.Meta.fields
        if name not in {"services", "planned_start", "planned_end", "freeze_justification"}
    }
    initial |= {
        "planned_start": start,
        "planned_end": start + duration,
        "services": list(source.services.all()),
        "hosts": list(source.host_links.values_list("host__hostname", flat=True)),
        "change_type": "normal" if source.change_type == "standard" else source.change_type,
    }
    for link in source.links:
        field = {"build": "build_url", "commit": "commit_url", "ticket": "ticket_url"}.get(link.get("kind"))
        if field:
            initial[field] = link["url"]
    return initial


def _render_form(request, form: ChangeForm, change=None, source=None, status=200, template=None):
    picker = picker_context(
        CHANGE_PICKER,
        form.posted_hostnames(),
        unknown=form.unknown_hosts,
        paste_kept=form.data.get("hosts_paste", "") if form.is_bound else "",
    )
    context = {
        "form": form,
        "change": change,
        "source": source,
        "picker": picker,
        "template": template,
        "caps": permissions.capabilities(request.user, change),
        "templates": ChangeTemplate.objects.filter(is_active=True) if change is None else [],
    }
    return render(request, "changes/change_form.html", context, status=status)


@login_required
def change_create(request):
    if not permissions.can_create(request.user):
        raise PermissionDenied("Only members of a team can request changes. Ask an admin to add you to your team.")
    if request.method != "POST":
        template = ChangeTemplate.objects.filter(is_active=True, pk=request.GET.get("template") or None).first()
        initial = _template_initial(template, request.user) if template else _default_initial(request.user)
        form = ChangeForm(user=request.user, initial=initial)
        return _render_form(request, form, template=template)
    form = ChangeForm(request.POST, user=request.user, intent=_intent(request))
    if form.is_valid():
        try:
            change = services.create_change(
                actor=request.user,
                hosts=form.resolved_hosts,
                services=form.cleaned_data["services"],
                submit=form.intent == ChangeForm.INTENT_SUBMIT,
                **form.change_fields(),
            )
        except (ChangeError, ValidationError) as exc:
            _apply_error(form, exc)
        else:
            verb = "submitted for approval" if change.status == ChangeStatus.SUBMITTED else "saved as a draft"
            messages.success(request, f"{change.reference} {verb}.")
            return redirect(change)
    return _render_form(request, form, status=400)


@login_required
def change_clone(request, pk):
    source = get_object_or_404(Change, pk=pk)
    if not permissions.can_create(request.user):
        raise PermissionDenied("Only members of a team can request changes.")
    form = ChangeForm(user=request.user, initial=_clone_initial(source))
    return _render_form(request, form, source=source)


@login_required
def change_edit(request, pk):
    change = get_object_or_404(Change.objects.select_related("environment", "team"), pk=pk)
    if not permissions.can_edit(request.user, change):
        raise PermissionDenied("Only the requester, members of the change's team, or staff can edit this change.")
    initial = {"hosts": list(change.host_links.values_list("host__hostname", flat=True))}
    if request.method != "POST":
        return _render_form(request, ChangeForm(instance=change, user=request.user, initial=initial), change)
    original = Change.objects.get(pk=pk)
    form = ChangeForm(request.POST, instance=change, user=request.user, intent=_intent(request), initial=initial)
    if form.is_valid():
        try:
            with transaction.atomic():
                change, diff = services.update_change(
                    change=original,
                    actor=request.user,
                    fields=form.change_fields(),
                    hosts=form.resolved_hosts,
                    services=form.cleaned_data["services"],
                    expected_version=form.cleaned_data.get("version"),
                    submit=form.intent == ChangeForm.INTENT_SUBMIT and original.status in state_machine.SUBMITTABLE,
                )
        except (ChangeError, ValidationError) as exc:
            _apply_error(form, exc)
        else:
            if original.status == ChangeStatus.APPROVED and change.status == ChangeStatus.SUBMITTED:
                messages.warning(request, "This edit changed what was approved: the approval was withdrawn.")
            messages.success(request, f"{change.reference} saved." if diff else "Nothing changed.")
            return redirect(change)
    return _render_form(request, form, original, status=400)


@login_required
@require_POST
def form_hosts(request):
    """The host picker's actions: add one, remove one, add a whole group, or add pasted names."""
    return picker_actions(request, CHANGE_PICKER)


@login_required
@require_GET
def host_search(request):
    return picker_search(request, CHANGE_PICKER)


@login_required
@require_POST
def form_collisions(request):
    """Live warnings while the form is filled in: the same rules as on save, on whatever is valid so far."""
    form = ChangeForm(request.POST, user=request.user)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    start, end = data.get("planned_start"), data.get("planned_end")
    report = None
    if start and end and end > start:
        hosts = hostpicker.resolve([name for name in request.POST.getlist("hosts") if name.strip()]).hosts
        services_selected = Service.objects.filter(pk__in=[s.pk for s in data.get("services") or []])
        environment = data.get("environment")
        exclude = request.POST.get("change_id")
        report = find_collisions(
            start=start,
            end=end,
            host_ids=[host.pk for host in hosts],
            service_ids=list(services_selected.values_list("pk", flat=True)),
            environment_id=environment.pk if environment else None,
            exclude_change_id=int(exclude) if exclude and exclude.isdigit() else None,
        )
    return render(request, "changes/partials/collision_warnings.html", {"collisions": report, "live": True})


@login_required
@require_GET
def kind_guidance(request):
    return render(request, "changes/partials/kind_guidance.html", {"guidance": guidance_for(request.GET.get("kind"))})
