"""The suspects JSON is built directly (apps.incidents.api.representation): it must equal what the declared DRF
fields produce, for every kind of suspect and in any time zone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from apps.changes.choices import ChangeStatus, HostExecutionState
from apps.incidents import services
from apps.incidents.api.representation import change_url, suspect_representation
from apps.incidents.api.serializers import HostSuspectsSerializer, SuspectSerializer
from apps.incidents.choices import Severity, Verdict
from apps.incidents.suspects import suspects_for_host, suspects_for_incident
from tests.incidents.builders import AT, change, host, many_changes, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    web = service("web")
    return {"web": web, "web01": host("web01", services=[web]), "web02": host("web02", services=[web])}


def drf_fields(suspect) -> dict:
    """What the declared fields produce, without the direct to_representation."""
    return serializers.Serializer.to_representation(SuspectSerializer(), suspect)


def rich_report(world):
    many_changes(world, 3)
    change(title="running", at=AT, ended_before=-timedelta(hours=1), duration=timedelta(hours=3),
           status=ChangeStatus.IN_PROGRESS, hosts={world["web01"]: HostExecutionState.FAILED})  # fmt: skip
    change(title="after", at=AT, ended_before=-timedelta(hours=5), hosts={world["web01"]: HostExecutionState.PENDING})
    return suspects_for_host(world["web01"], at=AT)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns"])
def test_direct_json_equals_the_declared_fields(world, zone):
    report = rich_report(world)
    assert {s.scope for s in report.suspects} == {"direct", "service", "environment"}
    assert report.after and any(s.drift for s in report.suspects)
    with timezone.override(zone):
        for suspect in report.suspects + report.after:
            direct = suspect_representation(suspect)
            assert direct == drf_fields(suspect)
            assert list(direct) == list(SuspectSerializer().fields)  # same keys, same order
        body = HostSuspectsSerializer(report).data
        assert body["suspects"] == [drf_fields(suspect) for suspect in report.suspects]
        assert body["after"] == [drf_fields(suspect) for suspect in report.after]


def test_marks_and_urls(login, outsider, world):
    started = timezone.now()
    incident = services.open_incident(
        actor=outsider, title="Down", severity=Severity.SEV1, started_at=started, hosts=[world["web01"]]
    )
    marked = change(title="marked", at=started, ended_before=timedelta(hours=1), hosts={world["web01"]: "applied"})
    services.mark_suspect(incident=incident, change=marked, verdict=Verdict.LIKELY_CAUSE, actor=outsider, note="yes")
    (suspect,) = suspects_for_incident(incident).suspects
    assert suspect.mark is not None
    with timezone.override("Asia/Kolkata"):
        assert suspect_representation(suspect) == drf_fields(suspect)
    assert suspect_representation(suspect)["mark"]["verdict"] == "likely_cause"
    assert change_url(marked.pk) == marked.get_absolute_url()
    assert change_url(7) == marked.get_absolute_url().replace(str(marked.pk), "7")
