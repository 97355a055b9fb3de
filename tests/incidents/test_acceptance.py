"""The 07:30 screen on the demo's release night (../shared/STORY.md), seeded by ``seed_demo``."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test.utils import override_settings

from apps.changes.choices import ChangeStatus
from apps.changes.models import Change
from apps.dashboard.demo.release_night import MANUAL_STEP_MISSED_HOSTS
from apps.dashboard.demo.story import (
    BACKOUT_TITLE,
    INCIDENT_TITLE,
    KERNEL_LIVEPATCH_TITLE,
    LIBRARY_PATCH_ARTIFACT,
    LIBRARY_PATCH_TITLE,
    MANUAL_STEP_TITLE,
    RELEASE_TITLE,
)
from apps.incidents.models import Incident
from apps.incidents.suspects import suspects_for_host
from apps.inventory.models import Host

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the class inside a transaction rolled back afterwards."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


def prod_web_hosts():
    return list(
        Host.objects.filter(environment__slug="prod", services__slug="billing-web")
        .select_related("environment")
        .order_by("hostname")
    )


def outage():
    return Incident.objects.get(title=INCIDENT_TITLE).started_at


def titles(items):
    return [suspect.change.title for suspect in items]


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestThe0730Screen:
    def test_library_patch_and_release_rank_in_the_top_three_with_reasons(self):
        hosts = prod_web_hosts()
        assert len(hosts) == 8
        for host in hosts:
            report = suspects_for_host(host, at=outage())
            top = {suspect.change.title: suspect for suspect in report.suspects[:3]}
            assert {LIBRARY_PATCH_TITLE, RELEASE_TITLE} <= set(top), (host, titles(report.suspects))
            patch = top[LIBRARY_PATCH_TITLE]
            assert patch.drift and patch.change.artifact == LIBRARY_PATCH_ARTIFACT
            assert f"production only: {LIBRARY_PATCH_ARTIFACT} never applied in QA or dev" in patch.summary
            release = top[RELEASE_TITLE]
            assert "edited after approval (artifact" in release.summary
            assert release.summary.startswith("applied on this host")
            for suspect in report.suspects:
                assert suspect.summary and suspect.reasons

    def test_hosts_that_missed_the_manual_step_show_it_missing_while_peers_applied(self):
        for hostname in MANUAL_STEP_MISSED_HOSTS:
            host = Host.objects.select_related("environment").get(hostname=hostname)
            report = suspects_for_host(host, at=outage())
            step = next(s for s in report.suspects if s.change.title == MANUAL_STEP_TITLE)
            assert step.condition == "missing" and step.host_state == "pending"
            assert step.state_counts["applied"] == 5
            assert step.summary.startswith("missing on this host while 5 of 7 other hosts have it applied")
        applied_host = next(h for h in prod_web_hosts() if h.hostname not in MANUAL_STEP_MISSED_HOSTS)
        step = next(
            s for s in suspects_for_host(applied_host, at=outage()).suspects if s.change.title == MANUAL_STEP_TITLE
        )
        assert step.condition == "applied"

    def test_a_change_on_unrelated_hosts_of_another_service_never_appears(self):
        host = prod_web_hosts()[0]
        report = suspects_for_host(host, at=outage(), hours=24 * 14)
        listed = set(titles(report.suspects) + titles(report.after))
        assert KERNEL_LIVEPATCH_TITLE not in listed
        unrelated = (
            Change.objects.exclude(host_links__host=host)
            .exclude(services__hosts=host)
            .filter(Q(host_links__isnull=False) | Q(services__isnull=False))
            .values_list("title", flat=True)
        )
        assert not listed & set(unrelated)

    def test_a_change_that_started_after_the_incident_is_in_the_after_list(self):
        report = suspects_for_host(prod_web_hosts()[0], at=outage())
        assert BACKOUT_TITLE not in titles(report.suspects)
        assert BACKOUT_TITLE in titles(report.after)
        assert all(s.change.eff_start > outage() for s in report.after)
        assert all(s.change.eff_start <= outage() for s in report.suspects)
        assert not {s.change.status for s in report.suspects} & {
            ChangeStatus.DRAFT,
            ChangeStatus.CANCELLED,
            ChangeStatus.REJECTED,
        }

    def test_the_demo_incident_over_rest_and_on_its_bridge_page(self, admin_client):
        incident = Incident.objects.get(title=INCIDENT_TITLE)
        body = admin_client.get(f"/api/v1/incidents/{incident.pk}/suspects").json()
        assert {LIBRARY_PATCH_TITLE, RELEASE_TITLE} <= {s["title"] for s in body["suspects"][:3]}
        assert BACKOUT_TITLE in {s["title"] for s in body["after"]}
        page = admin_client.get(incident.get_absolute_url()).content.decode()
        assert LIBRARY_PATCH_ARTIFACT in page.split('id="drift"')[1]
        matrix = page.split('id="matrix"')[1].split("</section>")[0]
        assert matrix.count("cell-missing") == len(MANUAL_STEP_MISSED_HOSTS)
