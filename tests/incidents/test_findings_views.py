"""Findings on the bridge page and on the change page: the form, its errors, the list, withdrawing, empty states."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.changes.choices import HostExecutionState
from apps.incidents import findings, services
from apps.incidents.choices import FindingRole, IncidentStatus, Severity
from apps.incidents.models import IncidentFinding
from tests.incidents.builders import change, host, service

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def web01():
    return host("web01", services=[service("web")])


@pytest.fixture
def incident(web01, requester):
    return services.open_incident(
        actor=requester,
        title="Checkout errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=[web01],
    )


@pytest.fixture
def release(web01, team, requester):
    return change(
        title="Release <2.4>",
        at=timezone.now(),
        ended_before=timedelta(hours=3),
        hosts={web01: HostExecutionState.APPLIED},
        team=team,
        requester=requester,
    )


@pytest.fixture
def unrelated():
    # A change on another machine: not a suspect, but it can still be named (e.g. the load balancer fix).
    return change(title="Drain lb02", at=timezone.now(), ended_before=timedelta(minutes=-10), env="qa")


def _section(html: str) -> str:
    return re.search(r'<section class="card" id="findings".*?</section>', html, re.S).group(0)


def test_an_open_incident_explains_instead_of_offering_the_form(login, outsider, incident):
    section = _section(login(outsider).get(incident.get_absolute_url()).content.decode())
    assert "No finding recorded yet." in section and "once it is mitigated or resolved" in section
    assert "Record finding" not in section


def test_record_by_number_list_and_withdraw(login, requester, incident, release, unrelated):
    services.set_incident_status(incident=incident, status=IncidentStatus.MITIGATED, actor=requester)
    client = login(requester)
    section = _section(client.get(incident.get_absolute_url()).content.decode())
    assert "Record finding" in section and f'<option value="{release.reference}">' in section
    url = reverse("incidents:record_finding", args=[incident.pk])
    done = client.post(url, {"role": "confirmed_cause", "change": release.reference.lower(), "note": "review"}, **HTMX)
    assert done.status_code == 200
    body = done.content.decode()
    assert f"{release.reference} recorded as confirmed cause." in body
    assert "Release &lt;2.4&gt;" in _section(body) and "Withdraw finding" in _section(body)
    fixed = client.post(url, {"role": "fixed_by", "change": str(unrelated.pk), "note": "traffic drained"}, **HTMX)
    assert fixed.status_code == 200
    assert [(f.change, f.role) for f in findings.standing_findings(incident)] == [
        (release, FindingRole.CONFIRMED_CAUSE),
        (unrelated, FindingRole.FIXED_BY),
    ]
    finding = IncidentFinding.objects.get(change=release)
    withdraw = reverse("incidents:withdraw_finding", args=[incident.pk, finding.pk])
    assert client.post(withdraw, {"note": ""}, **HTMX).status_code == 422
    gone = client.post(withdraw, {"note": "the db was it"}, **HTMX)
    assert gone.status_code == 200 and "1 withdrawn" in _section(gone.content.decode())
    finding.refresh_from_db()
    assert not finding.is_standing


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"role": "confirmed_cause", "change": "CHG-999999", "note": "x"}, "There is no change CHG-999999."),
        ({"role": "confirmed_cause", "change": "web01", "note": "x"}, "Give a change number such as CHG-42."),
        ({"role": "blame", "change": "CHG-1", "note": "x"}, "Select a valid choice."),
        ({"role": "fixed_by", "change": "CHG-1", "note": ""}, "How it was confirmed: This field is required."),
    ],
)
def test_bad_input_is_a_clear_message_and_nothing_is_written(login, requester, incident, posted, message):
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    refused = login(requester).post(reverse("incidents:record_finding", args=[incident.pk]), posted, **HTMX)
    assert refused.status_code == 422
    assert message in refused.content.decode()
    assert not IncidentFinding.objects.exists()


def test_duplicate_and_open_incident_are_refused_with_the_reason(login, requester, incident, release):
    client = login(requester)
    url = reverse("incidents:record_finding", args=[incident.pk])
    posted = {"role": "confirmed_cause", "change": release.reference, "note": "review"}
    still_open = client.post(url, posted, **HTMX)
    assert still_open.status_code == 422 and "is still open" in still_open.content.decode()
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    assert client.post(url, posted, **HTMX).status_code == 200
    twice = client.post(url, posted, **HTMX)
    assert twice.status_code == 422 and "already recorded as confirmed cause" in twice.content.decode()
    plain = client.post(url, posted)  # without htmx: back to the page, the message is flashed
    assert plain.status_code == 302


def test_only_the_recorder_a_lead_or_staff_see_and_use_withdraw(login, requester, outsider, incident, release):
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    finding = findings.record_finding(
        incident=incident, change=release, role=FindingRole.CONFIRMED_CAUSE, actor=requester, note="review"
    )
    client = login(outsider)
    assert "Withdraw finding" not in _section(client.get(incident.get_absolute_url()).content.decode())
    refused = client.post(reverse("incidents:withdraw_finding", args=[incident.pk, finding.pk]), {"note": "no"}, **HTMX)
    assert refused.status_code == 422 and "Only the person who recorded" in refused.content.decode()
    other = reverse("incidents:withdraw_finding", args=[incident.pk + 1, finding.pk])
    assert client.post(other, {"note": "x"}, **HTMX).status_code == 404


def test_the_change_page_shows_its_findings_with_links(login, requester, incident, release):
    client = login(requester)
    empty = client.get(release.get_absolute_url()).content.decode()
    assert "No incident names this change as its confirmed cause or its fix." in empty
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    for role in FindingRole.values:
        findings.record_finding(incident=incident, change=release, role=role, actor=requester, note=f"{role} note")
    page = client.get(release.get_absolute_url()).content.decode()
    link = f'<a href="{incident.get_absolute_url()}">{incident.reference}</a>'
    assert f'<span class="badge badge-red">Confirmed cause of</span>\n        {link}' in page
    assert f'<span class="badge badge-green">Fixed</span>\n        {link}' in page
    assert "No incident names this change" not in page


def test_the_admin_shows_findings_read_only(admin_client, requester, incident, release):
    services.set_incident_status(incident=incident, status=IncidentStatus.RESOLVED, actor=requester)
    findings.record_finding(
        incident=incident, change=release, role=FindingRole.CONFIRMED_CAUSE, actor=requester, note="seen in review"
    )
    page = admin_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "seen in review" in html and 'name="findings-0-note"' not in html
