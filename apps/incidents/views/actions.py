"""What participants do on the bridge. Each action is a thin call into apps.incidents.services; an htmx
request gets the refreshed live fragments back, a plain form post is redirected to the bridge page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from apps.changes.exceptions import ChangeError
from apps.changes.models import Change
from apps.incidents import findings, services
from apps.incidents.choices import FindingRole
from apps.incidents.forms import BackoutForm, FindingForm, MarkForm, NoteForm, RollbackForm, WithdrawFindingForm
from apps.incidents.models import Backout, Incident, IncidentFinding
from apps.incidents.services import IncidentError, IncidentForbidden, backout_progress
from apps.incidents.views.incidents import render_detail, render_live
from apps.inventory.models import Host
from apps.platform.htmx import action_response

REFUSED = (IncidentError, ChangeError, ValidationError)


def _message(exc: Exception) -> str:
    if isinstance(exc, IncidentError | ChangeError):
        return exc.message
    return " ".join(exc.messages)


def _form_error(form) -> str:
    return " ".join(f"{form.fields[name].label or name}: {' '.join(errors)}" for name, errors in form.errors.items())


def _respond(request, incident: Incident, *, done: str = "", error: str = "", forbidden: bool = False):
    return action_response(
        request,
        redirect_to=incident,
        # 422 tells bridge.js to keep what the user typed; the fragments are still swapped in.
        fragment=lambda: render_live(request, incident, flash=error or done, flash_error=bool(error)),
        error=error,
        success=done,
        # A refusal is not a success: the page itself answers 403 with the reason, instead of a redirect.
        refuse=(lambda: render_detail(request, incident, status=403)) if forbidden else None,
        error_status=422,
        partial=bool(request.htmx),  # the bridge answers any htmx post, boosted or not, with its live fragments
    )


def _run(request, incident: Incident, action, done: str):
    try:
        action()
    except IncidentForbidden as exc:
        return _respond(request, incident, error=exc.message, forbidden=True)
    except REFUSED as exc:
        return _respond(request, incident, error=_message(exc))
    return _respond(request, incident, done=done)


@login_required
@require_POST
def set_status(request, pk):
    incident = get_object_or_404(Incident, pk=pk)
    status = request.POST.get("status", "")

    def act():
        services.set_incident_status(incident=incident, status=status, actor=request.user)

    return _run(request, incident, act, "Status updated.")


@login_required
@require_POST
def add_note(request, pk):
    incident = get_object_or_404(Incident, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _respond(request, incident, error="Write something before adding a note.")
    return _run(
        request,
        incident,
        lambda: services.add_note(incident=incident, actor=request.user, text=form.cleaned_data["text"]),
        "Note added.",
    )


@login_required
@require_POST
def mark_suspect(request, pk, change_pk):
    incident = get_object_or_404(Incident, pk=pk)
    change = get_object_or_404(Change, pk=change_pk)
    form = MarkForm(request.POST)
    if not form.is_valid():
        return _respond(request, incident, error=f"{change.reference} not marked. {_form_error(form)}")
    data = form.cleaned_data

    def act():
        services.mark_suspect(
            incident=incident, change=change, verdict=data["verdict"], actor=request.user, note=data["note"]
        )

    return _run(request, incident, act, f"{change.reference} marked.")


@login_required
@require_POST
def start_backout(request, pk, change_pk):
    incident = get_object_or_404(Incident, pk=pk)
    change = get_object_or_404(Change, pk=change_pk)
    form = BackoutForm(request.POST)
    if not form.is_valid():
        return _respond(request, incident, error=f"Backout not started. {_form_error(form)}")

    def act():
        services.start_backout(incident=incident, change=change, actor=request.user, note=form.cleaned_data["note"])

    return _run(request, incident, act, f"Backout of {change.reference} started.")


@login_required
@require_POST
def record_rollback(request, pk, backout_pk):
    backout = get_object_or_404(Backout.objects.select_related("change", "incident"), pk=backout_pk, incident_id=pk)
    progress = backout_progress(backout.change)
    form = RollbackForm(request.POST, hostnames=progress.remaining)
    if not form.is_valid():
        return _respond(request, backout.incident, error=f"Nothing recorded. {_form_error(form)}")
    hosts = Host.objects.filter(hostname__in=form.cleaned_data["hosts"])

    def act():
        services.record_rollback(backout=backout, hosts=hosts, actor=request.user, note=form.cleaned_data["note"])

    return _run(request, backout.incident, act, "Rollback recorded.")


@login_required
@require_POST
def complete_backout(request, pk, backout_pk):
    backout = get_object_or_404(Backout.objects.select_related("change", "incident"), pk=backout_pk, incident_id=pk)
    form = BackoutForm(request.POST)
    if not form.is_valid():
        return _respond(request, backout.incident, error=f"Backout not completed. {_form_error(form)}")

    def act():
        services.complete_backout(backout=backout, actor=request.user, note=form.cleaned_data["note"])

    return _run(request, backout.incident, act, f"{backout.change.reference} is backed out.")


@login_required
@require_POST
def record_finding(request, pk):
    incident = get_object_or_404(Incident, pk=pk)
    form = FindingForm(request.POST)
    if not form.is_valid():
        return _respond(request, incident, error=f"Finding not recorded. {_form_error(form)}")
    data = form.cleaned_data
    change = data["change"]

    def act():
        findings.record_finding(
            incident=incident, change=change, role=data["role"], actor=request.user, note=data["note"]
        )

    return _run(request, incident, act, f"{change.reference} recorded as {FindingRole(data['role']).label.lower()}.")


@login_required
@require_POST
def withdraw_finding(request, pk, finding_pk):
    finding = get_object_or_404(
        IncidentFinding.objects.select_related("incident", "change"), pk=finding_pk, incident_id=pk
    )
    form = WithdrawFindingForm(request.POST)
    if not form.is_valid():
        return _respond(request, finding.incident, error=f"Finding not withdrawn. {_form_error(form)}")

    def act():
        findings.withdraw_finding(finding=finding, actor=request.user, note=form.cleaned_data["note"])

    return _run(request, finding.incident, act, f"Finding on {finding.change.reference} withdrawn.")
