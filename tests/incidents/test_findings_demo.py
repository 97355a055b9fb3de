"""The demo's findings: the release night's post-mortem and two earlier incidents, recorded through the services
with the story's moments, so the metrics page and the ranking-accuracy report have material."""

from datetime import UTC, datetime

import pytest
from django.test.utils import override_settings

from apps.dashboard.demo import loader
from apps.dashboard.demo.findings import FIREWALL_INCIDENT_TITLE, NGINX_INCIDENT_TITLE
from apps.dashboard.demo.story import BACKOUT_TITLE, INCIDENT_TITLE, LIBRARY_PATCH_TITLE, RELEASE_TITLE
from apps.incidents.accuracy import ranking_accuracy
from apps.incidents.choices import FindingRole, NoteKind
from apps.incidents.models import Incident, IncidentFinding, IncidentNote

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        loader.load_demo(now=NOW)


def test_the_post_mortem_and_the_accuracy_report(demo):
    story = Incident.objects.get(title=INCIDENT_TITLE)
    standing = IncidentFinding.objects.filter(incident=story, withdrawn_at__isnull=True)
    assert sorted((f.role, f.change.title) for f in standing) == [
        (FindingRole.CONFIRMED_CAUSE, RELEASE_TITLE),
        (FindingRole.CONFIRMED_CAUSE, LIBRARY_PATCH_TITLE),
        (FindingRole.FIXED_BY, BACKOUT_TITLE),
    ]
    withdrawn = IncidentFinding.objects.get(incident=story, withdrawn_at__isnull=False)
    assert withdrawn.withdrawn_by_name == "olga" and "Ruled out in the review" in withdrawn.withdrawn_note
    assert not IncidentFinding.objects.filter(recorded_at__gt=NOW).exists()
    assert not IncidentNote.objects.filter(kind=NoteKind.FINDING, created__gt=NOW).exists()
    assert IncidentNote.objects.filter(incident=story, kind=NoteKind.FINDING).count() == 5  # 4 recorded, 1 withdrawn
    report = ranking_accuracy()
    titles = {item.incident.title for item in report.incidents}
    assert titles == {INCIDENT_TITLE, NGINX_INCIDENT_TITLE, FIREWALL_INCIDENT_TITLE}
    # Every demo cause was on the bridge's list at the start (its exact place is the ranking's business).
    assert report.listed.label == "3 of 3 (100%)"
