"""A batch answers and records exactly what the single POST does for the same events sent one after the other.

Each scenario runs twice from the same database state: once as single POSTs (inside a savepoint, rolled back
after its answers and rows were read), once as one batch. Answers, changes, links, activity, ingest records,
outbox events, hosts and their audit entries are compared with the change ids replaced by the changes' titles.
"""

import re
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.events.models import OutboxEvent
from apps.ingest import services_bulk
from apps.ingest.models import IngestRecord
from apps.ingest.services import ChangeEvent, HostOutcome, ingest_change_event
from apps.ingest.services_bulk import ingest_change_events
from apps.inventory.models import Host
from tests.factories import FreezeWindowFactory, ServiceFactory, environment

pytestmark = pytest.mark.django_db
SINGLE, BATCH = "/api/v1/change-events", "/api/v1/change-events/batch"
# Every event says when it happened: both runs record the same times.
HAPPENED = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)


class Rollback(Exception):
    pass


def _event(key: str | None, summary: str, **fields) -> dict:
    payload = {"summary": summary, "source": "jenkins", "timestamp": HAPPENED.isoformat()}
    body = {"payload": payload, "hosts": ["web01.prod"], "environment": "prod"}
    return body | ({"dedup_key": key} if key else {}) | fields


def _titles() -> dict[int, str]:
    return dict(Change.objects.values_list("pk", "title"))


def _named(value, titles: dict[int, str]):
    """``value`` with every change id (CHG-<id>, "change": <id>, /changes/<id>/) replaced by its change's title."""
    if isinstance(value, dict):
        return {
            key: (titles.get(item, item) if key in ("change", "id") and isinstance(item, int) else _named(item, titles))
            for key, item in value.items()
            if key not in ("url",)
        }
    if isinstance(value, list):
        return [_named(item, titles) for item in value]
    if isinstance(value, str):
        return re.sub(r"CHG-(\d+)", lambda match: f"CHG<{titles.get(int(match[1]), match[1])}>", value)
    return value


def _world(since: dict[str, int]) -> dict:
    """What the run wrote (rows with ids above ``since``), ids replaced by titles, in a stable order."""
    titles = _titles()
    new = Change.objects.filter(pk__gt=since["change"]).order_by("title")
    fields = ["title", "summary", "status", "kind", "is_unplanned", "artifact", "links", "needs_freeze_exception"]
    fields += ["planned_start", "planned_end", "actual_start", "actual_end", "eff_start", "eff_end"]
    changes = [
        {name: getattr(change, name) for name in fields}
        | {
            "environment": change.environment.slug,
            "requester": change.requester.username,
            "hosts": sorted(
                (link.host.hostname, link.state, link.state_changed_at, link.state_changed_by_id, link.eff_start)
                for link in ChangeHost.objects.filter(change=change).select_related("host")
            ),
            "services": sorted(change.services.values_list("name", flat=True)),
        }
        for change in new
    ]
    activity = sorted(
        (titles[entry.change_id], entry.action, _named(entry.note, titles), str(_named(entry.changes, titles)))
        for entry in ChangeActivity.objects.filter(pk__gt=since["activity"])
    )
    records = sorted(
        (record.dedup_key or "", titles[record.change_id], record.kind, record.unverified_hosts, record.payload)
        + (_named(record.warnings, titles),)
        for record in IngestRecord.objects.filter(pk__gt=since["record"])
    )
    events = sorted(str(_named(event.payload, titles)) for event in OutboxEvent.objects.filter(pk__gt=since["event"]))
    hosts = sorted(Host.objects.values_list("hostname", "environment__slug", "is_verified"))
    audit = sorted(
        (entry.object_repr, _named(entry.note, titles), str(entry.changes))
        for entry in AuditEntry.objects.filter(pk__gt=since["audit"])
    )
    return {"changes": changes, "activity": activity, "records": records, "events": events, "hosts": hosts,
            "audit": audit}  # fmt: skip


def _high_water() -> dict[str, int]:
    def top(model) -> int:
        return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    return {"change": top(Change), "activity": top(ChangeActivity), "record": top(IngestRecord),
            "event": top(OutboxEvent), "audit": top(AuditEntry)}  # fmt: skip


def _answer(status: int, body: dict, titles: dict[int, str]) -> tuple:
    return status, _named(body, titles)


def _singles(client, events: list[dict]) -> tuple[list[tuple], dict]:
    since, answers = _high_water(), []
    try:
        with transaction.atomic():
            for event in events:
                response = client.post(SINGLE, event, format="json")
                body = response.json()
                if response.status_code == 202:
                    body.pop("status")
                answers.append((response.status_code, body))
            titles, world = _titles(), _world(since)
            raise Rollback
    except Rollback:
        pass
    return [_answer(status, body, titles) for status, body in answers], world


def _batch(client, events: list[dict]) -> tuple[list[tuple], dict]:
    since = _high_water()
    response = client.post(BATCH, {"events": events}, format="json")
    assert response.status_code == 200, response.content
    titles = _titles()
    answers = []
    for item in response.json()["results"]:
        body = item["result"] if item["status"] == 202 else item["errors"]
        if item["status"] == 202:
            body.pop("status")
        answers.append(_answer(item["status"], body, titles))
    return answers, _world(since)


def _same_as_singles(client, events: list[dict]) -> list[tuple]:
    single_answers, single_world = _singles(client, events)
    batch_answers, batch_world = _batch(client, events)
    assert batch_answers == single_answers
    for part in single_world:  # part by part: a difference names its table
        assert (part, batch_world[part]) == (part, single_world[part])
    return batch_answers


def test_answers_and_rows_equal_the_single_posts(as_user, requester, planned, hosts):
    at = timezone.now() + timedelta(days=2)
    freeze = FreezeWindowFactory(name="Peak", start=at - timedelta(hours=1), end=at + timedelta(hours=1))
    freeze.environments.add(environment("prod"))
    ServiceFactory(name="billing-web", slug="billing-web")
    client = as_user(requester)
    assert client.post(SINGLE, _event("k0", "Recorded before"), format="json").status_code == 202
    report_on = planned()
    too_long = HAPPENED - timedelta(days=30)
    events = [
        _event("k1", "Known host"),
        _event("bad-env", "Unknown environment", environment="moon"),
        _event("k2", "Creates new01", hosts=["new01.prod", {"name": "web02.prod", "state": "failed"}]),
        # No environment: the one of new01.prod, which the event before created.
        _event("k3", "Only new01", hosts=["new01.prod"], environment=None),
        _event("k-noenv", "Unknown host, no environment", hosts=["new02.prod"], environment=None),
        _event("k2", "Repeats k2"),
        _event("k4", "Too long", started_at=too_long.isoformat(), ended_at=HAPPENED.isoformat()),
        _event("k4", "k4 again, after its first event was refused"),
        _event("k5", "In the freeze", started_at=at.isoformat(), ended_at=at.isoformat()),
        _event(None, "A report", change=report_on.pk, hosts=["web01.prod", "new03.prod"], status="completed"),
        _event("k6", "After the report, on new03", hosts=["new03.prod"], environment=None),
        _event("k0", "Repeats a key recorded before the batch"),
        _event(None, "Running, with a service", status="in_progress", services=["billing-web"]),
        _event("k7", "A link the change model refuses", links=[{"href": "ftp://files.example.com/a"}]),
        _event("k8", "Failed everywhere", hosts=["web01.prod", "web03.prod"], status="failed"),
    ]
    for event in events:
        if event.get("environment", "") is None:
            del event["environment"]
    answers = _same_as_singles(client, events)
    statuses = [status for status, _body in answers]
    assert statuses == [202, 400, 202, 202, 400, 202, 400, 202, 202, 202, 202, 202, 202, 400, 202]
    assert answers[5][1]["duplicate"] is True and answers[11][1]["duplicate"] is True
    assert answers[7][1]["duplicate"] is False
    assert Change.objects.get(title="In the freeze").needs_freeze_exception is True
    assert Host.objects.get(hostname="new01.prod").environment.slug == "prod"


def test_a_batch_repeated_is_all_duplicates_of_the_first(as_user, requester, hosts):
    client = as_user(requester)
    events = [_event(f"r{n}", f"Event {n}", hosts=["web01.prod", f"fresh{n}.prod"]) for n in range(3)]
    first = client.post(BATCH, {"events": events}, format="json").json()
    again = _same_as_singles(client, events)
    assert [body["duplicate"] for _status, body in again] == [True, True, True]
    assert [body["unverified_hosts"] for _status, body in again] == [[f"fresh{n}.prod"] for n in range(3)]
    assert [item["result"]["change"] for item in first["results"]] == list(
        Change.objects.order_by("pk").values_list("pk", flat=True)
    )


def _service_event(key: str | None, summary: str, hosts: list[str], environment_slug: str | None = "prod"):
    return ChangeEvent(
        summary=summary,
        started_at=HAPPENED - timedelta(minutes=5),
        ended_at=HAPPENED,
        hosts=[HostOutcome(name=name) for name in hosts],
        environment=environment(environment_slug) if environment_slug else None,
        dedup_key=key,
    )


def test_a_caller_who_may_not_record_gets_the_single_paths_refusal(requester, outsider, hosts):
    ingest_change_event(actor=requester, event=_service_event("seen", "Seen", ["web01.prod"]))
    events = [_service_event("seen", "Replay", ["web01.prod"]), _service_event("new", "New", ["web01.prod"])]
    outcomes = ingest_change_events(actor=outsider, events=events)
    assert outcomes[0].duplicate is True
    assert outcomes[1].http_status == 403 and "members of a team" in outcomes[1].message
    assert Change.objects.count() == 1


def test_a_key_recorded_concurrently_sends_the_run_one_by_one(requester, hosts, monkeypatch):
    """The run's write fails on the unique dedup key (a concurrent request recorded it after the run read the
    keys): nothing of the run is kept, and each event is answered as the single path answers it."""
    ingest_change_event(actor=requester, event=_service_event("raced", "Concurrent", ["web01.prod"]))
    monkeypatch.setattr(services_bulk, "_recorded_many", lambda events: {})  # the read that missed it
    events = [_service_event("a", "A", ["web01.prod", "late01.prod"]), _service_event("raced", "Mine", ["web02.prod"])]
    outcomes = ingest_change_events(actor=requester, events=events)
    assert outcomes[0].duplicate is False and outcomes[0].unverified_hosts == ["late01.prod"]
    assert outcomes[1].duplicate is True and outcomes[1].change.title == "Concurrent"
    assert sorted(Change.objects.values_list("title", flat=True)) == ["A", "Concurrent"]
    assert IngestRecord.objects.count() == 2


class _PostgresError(Exception):
    """What psycopg raises, as Django's OperationalError carries it in __cause__: only its SQLSTATE matters."""

    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _failing_write(sqlstate: str):
    def write(run):
        Host.objects.create(hostname="half-written.prod", environment=environment("prod"))  # undone with the run
        raise OperationalError("the run's transaction was aborted") from _PostgresError(sqlstate)

    return write


def test_a_run_that_deadlocks_is_recorded_one_by_one(requester, hosts, monkeypatch):
    """A deadlock (or serialization failure) rolls the run back whole; its events are then recorded as single POSTs
    would record them, not answered with a 500."""
    monkeypatch.setattr(services_bulk._Run, "write", _failing_write("40P01"))
    events = [_service_event("a", "A", ["web01.prod", "new01.prod"]), _service_event("b", "B", ["web02.prod"])]
    outcomes = ingest_change_events(actor=requester, events=events)
    assert [outcome.change.title for outcome in outcomes] == ["A", "B"]
    assert outcomes[0].unverified_hosts == ["new01.prod"]
    assert sorted(Change.objects.values_list("title", flat=True)) == ["A", "B"]
    assert not Host.objects.filter(hostname="half-written.prod").exists()
    assert IngestRecord.objects.count() == 2


def test_any_other_database_error_of_a_run_is_not_retried(requester, hosts, monkeypatch):
    monkeypatch.setattr(services_bulk._Run, "write", _failing_write("53300"))  # too many connections
    with pytest.raises(OperationalError):
        ingest_change_events(actor=requester, events=[_service_event("a", "A", ["web01.prod"])])
    assert not Change.objects.exists()


def _known_host_events(count: int, prefix: str) -> list[dict]:
    return [
        _event(f"{prefix}{n}", f"{prefix} {n}", hosts=["web01.prod", "web02.prod"], services=["billing-web"])
        for n in range(count)
    ]


def test_a_batchs_queries_do_not_grow_with_its_events(as_user, requester, hosts):
    ServiceFactory(name="billing-web", slug="billing-web")
    client = as_user(requester)
    client.post(BATCH, {"events": _known_host_events(1, "warm-")}, format="json")  # the token is cached after it
    counts = {}
    for size in (2, 30):
        with CaptureQueriesContext(connection) as captured:
            response = client.post(BATCH, {"events": _known_host_events(size, f"s{size}-")}, format="json")
        assert response.json()["accepted"] == size
        counts[size] = len(captured.captured_queries)
    # Up to ~35 events (SQLite's 999 parameters per statement), PostgreSQL up to the batch limit: the token and
    # the caller's teams, the environment, the services, the transaction, dedup keys, hosts, freeze windows, then
    # one insert per table (changes, service links, host links, activity, outbox events, ingest records).
    assert counts[30] == counts[2], counts
    assert counts[2] <= 14, "\n".join(query["sql"][:100] for query in captured.captured_queries)


def test_recurring_and_one_off_freezes_flag_the_same_changes(as_user, requester, hosts):
    nightly = FreezeWindowFactory(
        name="Nightly", start=HAPPENED - timedelta(days=10), end=HAPPENED - timedelta(days=10, hours=-1),
        recurrence="FREQ=DAILY",
    )  # fmt: skip
    nightly.environments.add(environment("prod"))
    other = FreezeWindowFactory(name="QA only", start=HAPPENED + timedelta(hours=3), end=HAPPENED + timedelta(hours=5))
    other.environments.add(environment("qa"))
    moments = [HAPPENED + timedelta(minutes=30), HAPPENED + timedelta(hours=3), HAPPENED - timedelta(days=20)]
    moments += [HAPPENED + timedelta(hours=4)]
    events = [
        _event(f"f{n}", f"At {n}", started_at=moment.isoformat(), ended_at=(moment + timedelta(minutes=5)).isoformat())
        for n, moment in enumerate(moments)
    ]
    _same_as_singles(as_user(requester), events)
    flags = dict(Change.objects.values_list("title", "needs_freeze_exception"))
    # Inside a nightly hour, between two, before the rule began, and in the QA freeze (not prod's).
    assert flags == {"At 0": True, "At 1": False, "At 2": False, "At 3": False}
