"""Findings over REST: the incident detail lists them; record, read and withdraw them; a change's findings; JSON
errors 400/401/403/404/409 with the reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.choices import TokenScope
from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.incidents import findings, services
from apps.incidents.choices import FindingRole, IncidentStatus, Severity
from apps.incidents.models import IncidentFinding
from tests.factories import UserFactory
from tests.incidents.builders import change, host, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(requester):
    web01 = host("web01", services=[service("web")])
    opened = services.open_incident(
        actor=requester,
        title="Checkout errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=2),
        hosts=[web01],
    )
    return services.set_incident_status(incident=opened, status=IncidentStatus.RESOLVED, actor=requester)


@pytest.fixture
def release(team, requester):
    return change(
        title="Release 2.4",
        at=timezone.now(),
        ended_before=timedelta(hours=3),
        hosts={host("web02"): HostExecutionState.APPLIED},
        team=team,
        requester=requester,
    )


def _url(incident, *rest) -> str:
    return "/".join([f"/api/v1/incidents/{incident.pk}/findings", *map(str, rest)])


def test_record_answers_201_with_location_and_the_detail_lists_it(as_user, requester, incident, release):
    api = as_user(requester)
    posted = api.post(
        _url(incident), {"change": release.reference, "role": "confirmed_cause", "note": "review"}, format="json"
    )
    assert posted.status_code == 201, posted.json()
    body = posted.json()
    finding = IncidentFinding.objects.get()
    assert posted["Location"] == f"http://testserver{_url(incident, finding.pk)}"
    assert body | {"recorded_at": None} == {
        "id": finding.pk,
        "incident": incident.pk,
        "incident_reference": incident.reference,
        "change": release.pk,
        "change_reference": release.reference,
        "role": "confirmed_cause",
        "note": "review",
        "standing": True,
        "recorded_by": requester.username,
        "recorded_at": None,
        "withdrawn_by": "",
        "withdrawn_at": None,
        "withdrawn_note": "",
    }
    assert api.get(posted["Location"]).json()["id"] == finding.pk
    detail = api.get(f"/api/v1/incidents/{incident.pk}").json()
    assert [(f["change"], f["role"], f["standing"]) for f in detail["findings"]] == [
        (release.pk, "confirmed_cause", True)
    ]
    assert "findings" not in api.get("/api/v1/incidents").json()["results"][0]  # the list stays brief
    by_id = api.post(
        _url(incident), {"change": str(release.pk), "role": "fixed_by", "note": "backed out"}, format="json"
    )
    assert by_id.status_code == 201
    assert [f["role"] for f in api.get(_url(incident)).json()] == ["confirmed_cause", "fixed_by"]


def test_withdraw_keeps_the_row(as_user, requester, incident, release):
    finding = findings.record_finding(
        incident=incident, change=release, role=FindingRole.FIXED_BY, actor=requester, note="x"
    )
    api = as_user(requester)
    done = api.post(_url(incident, finding.pk, "withdraw"), {"note": "it was the lb"}, format="json")
    assert done.status_code == 200
    answer = done.json()
    assert (answer["standing"], answer["withdrawn_by"], answer["withdrawn_note"]) == (
        False,
        requester.username,
        "it was the lb",
    )
    assert answer["withdrawn_at"] is not None
    again = api.post(_url(incident, finding.pk, "withdraw"), {"note": "again"}, format="json")
    assert again.status_code == 409 and "already withdrawn" in again.json()["detail"]
    listed = api.get(f"/api/v1/changes/{release.pk}/findings").json()
    assert [(f["incident"], f["standing"]) for f in listed] == [(incident.pk, False)]


def test_errors_are_json_with_the_reason(as_user, requester, outsider, incident, release):
    api = as_user(requester)
    cases = [
        (
            {"change": "CHG-999999", "role": "fixed_by", "note": "x"},
            400,
            {"change": ["There is no change CHG-999999."]},
        ),
        (
            {"change": "web01", "role": "fixed_by", "note": "x"},
            400,
            {"change": ["Give a change number such as CHG-42."]},
        ),
        (
            {"change": release.reference, "role": "blame", "note": "x"},
            400,
            {"role": ['"blame" is not a valid choice.']},
        ),
        (
            {"change": release.reference, "role": "fixed_by", "note": " "},
            400,
            {"note": ["This field may not be blank."]},
        ),
    ]
    for body, status, expected in cases:
        answer = api.post(_url(incident), body, format="json")
        assert (answer.status_code, answer.json()) == (status, expected), body
    draft = change(title="Draft", at=timezone.now(), ended_before=timedelta(hours=1), status=ChangeStatus.DRAFT)
    never = api.post(_url(incident), {"change": draft.reference, "role": "fixed_by", "note": "x"}, format="json")
    assert never.status_code == 400 and "it never ran" in never.json()["change"][0]
    good = {"change": release.reference, "role": "confirmed_cause", "note": "review"}
    assert api.post(_url(incident), good, format="json").status_code == 201
    duplicate = api.post(_url(incident), good, format="json")
    assert duplicate.status_code == 409 and "already recorded as confirmed cause" in duplicate.json()["detail"]
    missing = api.post(f"/api/v1/incidents/{incident.pk + 100}/findings", good, format="json")
    assert (missing.status_code, missing.json()) == (404, {"detail": f"No incident INC-{incident.pk + 100}."})
    assert api.get(_url(incident, 999999)).status_code == 404
    assert api.get("/api/v1/changes/999999/findings").status_code == 404
    finding = IncidentFinding.objects.get()
    refused = as_user(outsider).post(_url(incident, finding.pk, "withdraw"), {"note": "mine now"}, format="json")
    assert refused.status_code == 403 and "Only the person who recorded" in refused.json()["detail"]
    read_only = as_user(UserFactory(), TokenScope.READ).post(_url(incident), good | {"role": "fixed_by"}, format="json")
    assert read_only.status_code == 403
    assert IncidentFinding.objects.count() == 1


def test_an_open_incident_answers_409_and_anonymous_401(client, as_user, requester, release):
    still_open = services.open_incident(
        actor=requester, title="Down", severity=Severity.SEV2, started_at=timezone.now(), hosts=[host("web09")]
    )
    body = {"change": release.reference, "role": "confirmed_cause", "note": "x"}
    answer = as_user(requester).post(_url(still_open), body, format="json")
    assert answer.status_code == 409 and "is still open" in answer.json()["detail"]
    assert client.post(_url(still_open), body, content_type="application/json").status_code == 401
