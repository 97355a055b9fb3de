"""Recording and withdrawing a finding in a real browser, with the keyboard only, under the strict CSP."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes.choices import HostExecutionState
from apps.incidents import services
from apps.incidents.choices import IncidentStatus, Severity
from apps.incidents.models import IncidentFinding
from tests.factories import UserFactory
from tests.incidents.builders import change, host, service
from tests.security.test_hardening_browser import violations, watch


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_record_and_withdraw_a_finding_with_the_keyboard(browser_page, browser_login):
    page = browser_page
    problems = watch(page)
    olga = UserFactory(username="olga")
    web01 = host("web01", services=[service("web")])
    release = change(
        title="Release billing 2.4.0",
        at=timezone.now(),
        ended_before=timedelta(hours=3),
        hosts={web01: HostExecutionState.APPLIED},
    )
    incident = services.open_incident(
        actor=olga,
        title="Billing errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=[web01],
    )
    services.set_incident_status(incident=incident, status=IncidentStatus.MITIGATED, actor=olga)
    browser_login(page, olga)
    page.goto(incident.get_absolute_url())

    # The form is open while nothing is recorded; the first role is preselected.
    page.focus("#finding-change")
    page.keyboard.type("CHG-999999")
    page.keyboard.press("Tab")
    page.keyboard.type("post-incident review")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=There is no change CHG-999999.")
    assert page.input_value("#finding-change") == "CHG-999999", "a refused form keeps what was typed"

    page.fill("#finding-change", release.reference)
    page.focus("#finding-note")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#findings li.finding-confirmed_cause >> text={release.reference}")
    assert "olga" in page.inner_text("#findings")
    assert page.input_value("#finding-change") == "", "a saved form is cleared"
    finding = IncidentFinding.objects.get()

    page.click(f"#withdraw-{finding.pk} summary")
    page.fill(f"#withdraw-note-{finding.pk}", "it was the library patch")
    page.keyboard.press("Enter")
    page.wait_for_selector("#findings .findings-withdrawn")
    finding.refresh_from_db()
    assert not finding.is_standing and finding.withdrawn_note == "it was the library patch"

    page.goto(release.get_absolute_url())
    assert "No incident names this change" in page.inner_text("#change-findings")
    # The refused post answers 422 on purpose (the bridge keeps the form); the browser logs that, nothing else.
    assert violations(page) == []
    assert [problem for problem in problems if "status of 422" not in problem] == []
