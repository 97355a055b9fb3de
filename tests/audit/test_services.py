"""snapshot() and record(): JSON-safe values, only what changed, nothing for an edit that changed nothing."""

from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from apps.audit import services as audit
from apps.audit.models import AuditEntry
from apps.changes.models import FreezeWindow
from apps.inventory.models import Tag
from tests.factories import HostFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


def test_snapshot_is_json_safe_with_names_for_objects_and_sorted_many_to_manys():
    host = HostFactory(hostname="web01", environment=environment("qa"), ip_address="10.0.0.5")
    host.services.add(ServiceFactory(name="search"), ServiceFactory(name="billing-web"))
    host.tags.add(Tag.objects.create(name="pci", slug="pci"))
    assert audit.snapshot(host) == {
        "hostname": "web01",
        "fqdn": "",
        "ip_address": "10.0.0.5",
        "environment": "QA",
        "services": ["billing-web", "search"],
        "tags": ["pci"],
        "is_active": True,
        "is_verified": True,
    }


def test_datetimes_are_stored_in_utc():
    berlin = ZoneInfo("Europe/Berlin")
    freeze = FreezeWindow.objects.create(
        name="Freeze", start=datetime(2030, 7, 1, 20, tzinfo=berlin), end=datetime(2030, 7, 2, 8, tzinfo=berlin)
    )
    values = audit.snapshot(freeze, ["start", "end"])
    assert values == {"start": "2030-07-01T18:00:00+00:00", "end": "2030-07-02T06:00:00+00:00"}
    assert audit.json_safe(datetime(2030, 1, 1, tzinfo=UTC)) == "2030-01-01T00:00:00+00:00"


def test_record_keeps_only_the_changed_fields():
    service = ServiceFactory(name="billing-web")
    actor = UserFactory(username="olga")
    entry = audit.record(
        actor=actor,
        obj=service,
        action="updated",
        before={"name": "billing-web", "description": "", "owner_team": None},
        after={"name": "billing-web", "description": "Checkout", "owner_team": "Billing dev"},
        via="command",
        note="import",
    )
    assert entry.changes == {
        "description": {"before": "", "after": "Checkout"},
        "owner_team": {"before": None, "after": "Billing dev"},
    }
    assert (entry.actor_name, entry.via, entry.note, entry.object_repr) == ("olga", "command", "import", "billing-web")


def test_an_edit_that_changed_nothing_is_not_recorded():
    service = ServiceFactory()
    same = {"name": service.name}
    assert audit.record(actor=None, obj=service, action="updated", before=same, after=same, via="api") is None
    assert not AuditEntry.objects.exists()


def test_an_anonymous_or_missing_actor_is_recorded_as_the_system():
    service = ServiceFactory()
    entry = audit.record(actor=None, obj=service, action="created", before={}, after={"name": "x"}, via="command")
    assert entry.actor is None and entry.actor_name == "" and "system" in str(entry)


def test_an_actor_object_records_its_person_or_what_the_system_is():
    """Services may be handed an apps.platform.actors.Actor (a person, or the system saying what it is)."""
    service, olga = ServiceFactory(), UserFactory(username="olga")
    person = SimpleNamespace(user=olga, system="", is_system=False)
    system = SimpleNamespace(user=None, system="integration key “CI”", is_system=True)
    by_person = audit.record(actor=person, obj=service, action="created", before={}, after={"a": 1}, via="api")
    by_system = audit.record(actor=system, obj=service, action="created", before={}, after={"a": 1}, via="api")
    assert (by_person.actor, by_person.actor_name) == (olga, "olga")
    assert (by_system.actor, by_system.actor_name) == (None, "system: integration key “CI”")
