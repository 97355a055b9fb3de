"""Two people on the same bridge page: what one marks, the other sees within 5 seconds, mid-sentence."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.changes.choices import HostExecutionState
from apps.incidents import services
from apps.incidents.choices import Severity
from tests.factories import MembershipFactory, TeamFactory, UserFactory
from tests.incidents.builders import change, host, service


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_mark_shows_up_on_the_other_page_without_losing_what_is_typed(browser_page, browser_login, live_server):
    team = TeamFactory(name="Billing dev", slug="billing-dev")
    dev = UserFactory(username="dev")
    MembershipFactory(team=team, user=dev)
    watcher = UserFactory(username="watcher")
    web01 = host("web01", services=[service("web")])
    release = change(
        title="Release billing 2.4.0",
        at=timezone.now() - timedelta(hours=1),
        ended_before=timedelta(hours=3),
        hosts={web01: HostExecutionState.APPLIED},
        team=team,
    )
    incident = services.open_incident(
        actor=dev,
        title="Billing errors",
        severity=Severity.SEV1,
        started_at=timezone.now() - timedelta(hours=1),
        hosts=[web01],
    )
    other = browser_page.context.browser.new_page(base_url=live_server.url)
    other.set_default_timeout(10_000)
    try:
        browser_login(browser_page, dev)
        browser_login(other, watcher)
        browser_page.goto(incident.get_absolute_url())
        other.goto(incident.get_absolute_url())

        # The watcher starts typing a verdict of their own.
        suspect = f"#suspect-{release.pk}"
        other.click(f"{suspect} .suspect-actions summary")
        other.fill(f"#mark-note-{release.pk}", "half-typed thought")
        other.focus(f"#mark-note-{release.pk}")

        browser_page.click(f"{suspect} .suspect-actions summary")
        browser_page.check(f"{suspect} input[value=likely_cause]")
        browser_page.fill(f"#mark-note-{release.pk}", "errors started with it")
        browser_page.click(f"{suspect} .suspect-actions button[type=submit]")
        browser_page.wait_for_selector(f"{suspect}.likely")
        marked_at = time.monotonic()
        assert browser_page.input_value(f"#mark-note-{release.pk}") == "", "a saved form is cleared"

        other.wait_for_selector(f"{suspect}.likely", timeout=5_000)
        assert time.monotonic() - marked_at <= 5.0
        assert "errors started with it" in other.inner_text(f"{suspect} .mark-note")
        assert other.input_value(f"#mark-note-{release.pk}") == "half-typed thought"
        assert other.eval_on_selector(f"{suspect} .suspect-actions", "el => el.open")
        assert "errors started with it" in other.inner_text("#timeline")
    finally:
        other.close()
