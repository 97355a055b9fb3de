"""The approval inbox and the navigation badge read a fixed number of queries, however many requests wait."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.approvals.decision_panel import decision_context
from apps.approvals.inbox import inbox_count, inbox_rows
from apps.approvals.services import decide, inbox_for
from apps.changes import services
from apps.inventory.models import Host
from tests.factories import (
    FreezeWindowFactory,
    HostFactory,
    MembershipFactory,
    ServiceFactory,
    UserFactory,
    environment,
)

INBOX = reverse("approvals:inbox")


@pytest.fixture
def second_lead(team):
    user = UserFactory(username="lara")
    MembershipFactory(team=team, user=user, is_lead=True)
    return user


@pytest.fixture
def add_pending(make_change, second_lead, requester):
    """Pending requests with every fact a row shows: hosts (one shared, so they conflict), a service, a freeze
    hit (justified) and, for every third, a re-approval with a diff since the last approval."""
    shared = HostFactory(hostname="shared01.prod")
    service = ServiceFactory(name="billing")
    made = []

    def _add(count):
        for _ in range(count):
            index = len(made)
            hours = 48 + index
            change = make_change(
                title=f"Patch {index}",
                hours_ahead=hours,
                hosts=[shared, HostFactory()],
                services=[service],
                freeze_justification="CVE fix that cannot wait",
            )
            if index % 3 == 0:
                decide(change=change, actor=second_lead, decision="approved")
                change.refresh_from_db()
                services.update_change(change=change, actor=requester, fields={"artifact": f"openssl 3.0.{index}"})
            made.append(change)
        return made

    return _add


@pytest.fixture
def freeze():
    window = FreezeWindowFactory(
        name="Quarter close", start=timezone.now() + timedelta(hours=40), end=timezone.now() + timedelta(days=10)
    )
    window.environments.add(environment("prod"))
    return window


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_inbox_query_count_does_not_grow_with_its_rows(login, lead, add_pending, freeze):
    client = login(lead)
    counts = {}
    for total in (1, 10, 30):
        add_pending(total - len(inbox_for(lead)))
        response = client.get(INBOX)
        assert len(response.context["rows"]) == total
        counts[total] = _queries(client, INBOX)
    assert counts[1] == counts[10] == counts[30], counts
    body = client.get(INBOX).content.decode()
    assert "Edited after approval" in body and "Freeze: Quarter close" in body and "shared01" not in body


@pytest.mark.django_db
def test_inbox_rows_show_what_the_change_page_shows(lead, add_pending, freeze, make_change):
    add_pending(7)
    make_change(title="Draft on the shared host", submit=False, hosts=[Host.objects.get(hostname="shared01.prod")])
    rows = inbox_rows(lead, inbox_for(lead))
    assert all(row["collisions"].conflicts and row["collisions"].freezes for row in rows)
    assert any(row["since_approval"] for row in rows)
    for row in rows:
        expected = decision_context(lead, row["change"])
        for key in ("awaiting", "can_decide", "last_approval", "since_approval"):
            assert row[key] == expected[key], key
        assert [(s.required.pk, [a.pk for a in s.given]) for s in row["slots"]] == [
            (s.required.pk, [a.pk for a in s.given]) for s in expected["slots"]
        ]
        assert [s.required.pk for s in row["fillable_slots"]] == [s.required.pk for s in expected["fillable_slots"]]
        got, want = row["collisions"], expected["collisions"]
        assert [(c.change.pk, c.change.reference, c.hosts, c.services) for c in got.conflicts] == [
            (c.change.pk, c.change.reference, c.hosts, c.services) for c in want.conflicts
        ]
        assert [(f.window.pk, f.start, f.end) for f in got.freezes] == [
            (f.window.pk, f.start, f.end) for f in want.freezes
        ]
        assert got.buffer == want.buffer
        assert row["host_count"] == row["change"].host_links.count() == 2


@pytest.mark.django_db
def test_badge_count_matches_the_inbox(lead, second_lead, ops_lead, outsider, requester, add_pending, make_change):
    changes = add_pending(4)
    own = make_change(title="Lara's own")
    own.requester = second_lead
    own.save()
    decide(change=changes[1], actor=second_lead, decision="approved")  # approved: leaves everyone's inbox
    for user in (lead, second_lead, ops_lead, outsider, requester):
        assert inbox_count(user) == len(inbox_for(user)), user


@pytest.mark.django_db
def test_badge_takes_at_most_two_queries(lead, add_pending, django_assert_max_num_queries):
    add_pending(5)
    lead = type(lead).objects.get(pk=lead.pk)  # memberships not cached yet
    with django_assert_max_num_queries(2):
        assert inbox_count(lead) == 5


@pytest.mark.django_db
def test_pages_with_the_badge_do_not_grow_with_pending_approvals(login, lead, add_pending):
    client = login(lead)
    url = reverse("changes:change_list")
    client.get(url)  # from here on the user's row comes from the cache (apps/accounts/user_cache.py)
    add_pending(1)
    one = _queries(client, url)
    add_pending(29)
    assert ">30</span>" in client.get(url).content.decode()
    assert _queries(client, url) == one
