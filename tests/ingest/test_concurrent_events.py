"""Two change events naming the same unknown host at the same moment, against PostgreSQL in CI."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.changes.models import Change
from apps.ingest import services
from apps.ingest.services import ChangeEvent, HostOutcome, ingest_change_event
from apps.inventory.models import Host
from tests.factories import HostFactory, environment


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_events_creating_the_same_host_at_once_both_land(requester, eager_tasks, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (SQLite serializes every write, so there is no race to test)")
    HostFactory(hostname="web01.prod")
    prod = environment("prod")
    # Both events look the hosts up before either creates the new one, so both try to insert it.
    barrier, real_lookup = threading.Barrier(2), services._known_hosts
    first_lookup = threading.local()

    def lookup_then_wait(names):
        found = real_lookup(names)
        if not getattr(first_lookup, "done", False):
            first_lookup.done = True
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(services, "_known_hosts", lookup_then_wait)
    outcomes: dict[str, object] = {}

    def send(key):
        try:
            at = timezone.now() - timedelta(hours=1)
            event = ChangeEvent(
                summary=f"deploy {key}",
                started_at=at,
                ended_at=at,
                hosts=[HostOutcome("web01.prod"), HostOutcome("new01.prod")],
            )
            event.environment = prod
            outcomes[key] = ingest_change_event(actor=requester, event=event)
        except Exception as exc:  # the outcome is what the test checks
            outcomes[key] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(key,)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["a", "b"]
    assert all(isinstance(result, services.IngestResult) for result in outcomes.values()), outcomes
    host = Host.objects.get(hostname="new01.prod")
    assert host.is_verified is False and host.environment == prod
    assert Change.objects.filter(host_links__host=host).count() == 2
    assert all(result.unverified_hosts == ["new01.prod"] for result in outcomes.values())
