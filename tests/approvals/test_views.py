from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.approvals.services import decide
from apps.changes import services
from apps.changes.choices import ChangeStatus

HTMX = {"HTTP_HX_REQUEST": "true"}
INBOX = reverse("approvals:inbox")


@pytest.mark.django_db
def test_inbox_lists_what_the_lead_may_decide_soonest_first(login, lead, make_change, ops_lead):
    later = make_change(title="Later change", hours_ahead=72)
    sooner = make_change(title="Sooner change", hours_ahead=24)
    make_change(title="Draft", submit=False)
    response = login(lead).get(INBOX)
    assert [row["change"].pk for row in response.context["rows"]] == [sooner.pk, later.pk]
    body = response.content.decode()
    assert "Sooner change" in body and 'name="decision" value="approved"' in body
    assert '<span class="badge-count"' in body and ">2</span>" in body
    assert login(ops_lead).get(INBOX).context["rows"] == []


@pytest.mark.django_db
def test_inbox_empty_state_and_no_badge(login, outsider):
    body = login(outsider).get(INBOX).content.decode()
    assert "Nothing waits for you." in body
    assert "badge-count" not in body


@pytest.mark.django_db
def test_approve_inline_through_htmx(login, lead, make_change):
    change = make_change(title="Patch openssl")
    url = reverse("approvals:decide", args=[change.pk])
    response = login(lead).post(url, {"decision": "approved", "comment": "", "from": "inbox"}, **HTMX)
    body = response.content.decode()
    assert f'id="inbox-row-{change.pk}"' in body and "You approved" in body
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert login(lead).get(INBOX).context["rows"] == []


@pytest.mark.django_db
def test_rejecting_without_comment_is_explained_in_the_row(login, lead, make_change):
    change = make_change()
    url = reverse("approvals:decide", args=[change.pk])
    response = login(lead).post(url, {"decision": "rejected", "comment": "", "from": "inbox"}, **HTMX)
    assert "a rejection needs a comment" in response.content.decode()
    change.refresh_from_db()
    assert change.status == ChangeStatus.SUBMITTED


@pytest.mark.django_db
def test_decide_from_the_change_page_updates_the_status_panel(login, lead, requester, make_change):
    change = make_change()
    assert 'name="decision"' not in login(requester).get(change.get_absolute_url()).content.decode()
    assert 'name="decision"' in login(lead).get(change.get_absolute_url()).content.decode()
    response = login(lead).post(reverse("approvals:decide", args=[change.pk]), {"decision": "approved"}, **HTMX)
    assert 'id="status-panel"' in response.content.decode()
    assert response["HX-Trigger"] == "changeUpdated"


@pytest.mark.django_db
def test_reapproval_shows_the_diff_in_the_inbox(login, lead, requester, make_change):
    change = make_change()
    decide(change=change, actor=lead, decision="approved")
    change.refresh_from_db()
    services.update_change(change=change, actor=requester, fields={"artifact": "openssl 3.0.14-1"})
    body = login(lead).get(INBOX).content.decode()
    assert "Edited after approval" in body and "openssl 3.0.14-1" in body


@pytest.mark.django_db
def test_overdue_emergency_is_flagged_in_the_list(login, lead, requester, make_change):
    change = make_change(change_type="emergency", hours_ahead=0)
    started = services.transition_change(change=change, target=ChangeStatus.IN_PROGRESS, actor=requester)
    started.approval_due_at = timezone.now() - timedelta(hours=2)
    started.save()
    assert "approval overdue" in login(lead).get(reverse("changes:change_list")).content.decode()
    assert "approval overdue" in login(lead).get(INBOX).content.decode()
