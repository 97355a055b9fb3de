"""POST /api/v1/change-events with arbitrary JSON and mangled PagerDuty-shaped events: only 2xx or 4xx with a JSON
body, never a 500; an accepted event is stored with its text intact."""

import json
import re

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from apps.changes.models import Change
from apps.ingest.models import IngestRecord
from tests.factories import HostFactory
from tests.fuzz.strategies import FUZZ, NASTIES, odd_text

URL = "/api/v1/change-events"
SURROGATE = re.compile("[\ud800-\udfff]")
VALID = {
    "routing_key": "billing-web",
    "payload": {
        "summary": "Deployed billing 2.4.0",
        "source": "jenkins/billing#812",
        "timestamp": "2026-11-20T10:00:00Z",
        "custom_details": {"build": 812, "commit": "abc123"},
    },
    "links": [{"href": "https://ci.example.com/billing/812", "text": "Build 812"}],
    "hosts": ["web01.prod", "new01.prod"],
    "environment": "prod",
    "kind": "release",
    "artifact": "billing 2.4.0",
    "status": "completed",
}
# Lone surrogates are legal JSON escapes but not encodable text: they must be refused, not stored.
any_char_text = st.lists(st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), max_size=40).map("".join)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
    any_char_text,
    st.sampled_from(["", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2026-02-30T00:00:00Z", "now"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8) | any_char_text, children, max_size=4)
    ),
)
PATHS = [
    (),
    ("routing_key",),
    ("payload",),
    ("payload", "summary"),
    ("payload", "source"),
    ("payload", "timestamp"),
    ("payload", "custom_details"),
    ("links",),
    ("hosts",),
    ("environment",),
    ("kind",),
    ("artifact",),
    ("status",),
    ("started_at",),
    ("ended_at",),
    ("change",),
    ("dedup_key",),
    ("x_unknown_key",),  # kept in the stored payload as received
]


@pytest.fixture
def ingest(api_as, requester):
    HostFactory(hostname="web01.prod")
    client = api_as(requester)

    def _post(body: str, **headers):
        response = client.post(URL, body, content_type="application/json", **headers)
        if currently_in_test_context():
            event(f"HTTP {response.status_code}")
        assert response.status_code < 500, response.content[:2000]
        assert response.status_code in (202, 400, 409, 413, 415), response.status_code
        assert response["Content-Type"].startswith("application/json")
        return response, json.loads(response.content)

    return _post


def _mutate(event_body: dict, path: tuple, value, delete: bool) -> dict:
    body = json.loads(json.dumps(event_body))
    if not path:
        return value if not delete else {}
    target = body
    for key in path[:-1]:
        target = target[key]
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return body


@pytest.mark.django_db
@FUZZ
@given(body=json_values)
def test_arbitrary_json_is_refused_cleanly(ingest, body):
    response, answer = ingest(json.dumps(body))
    if response.status_code == 202:  # only possible when it happens to be a valid event
        assert Change.objects.filter(pk=answer["change"]).exists()
    else:
        assert answer, "an error body names the problem"


@pytest.mark.django_db
@FUZZ
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(PATHS), json_values, st.booleans()),
        min_size=1,
        max_size=3,
    )
)
def test_mangled_pagerduty_events_get_2xx_or_4xx(ingest, mutations):
    body = VALID
    for path, value, delete in mutations:
        try:
            body = _mutate(body, path, value, delete)
        except (KeyError, TypeError, IndexError):
            continue  # the path no longer exists in an earlier mutation's result
    response, answer = ingest(json.dumps(body))
    if response.status_code == 400:
        assert isinstance(answer, dict) and answer


@pytest.mark.django_db
@FUZZ
@given(
    summary=st.one_of(odd_text, st.sampled_from(NASTIES), any_char_text),
    source=odd_text,
    artifact=odd_text,
    details=st.dictionaries(st.text(max_size=10), odd_text, max_size=3),
)
def test_valid_events_keep_their_text(ingest, summary, source, artifact, details):
    body = VALID | {
        "payload": VALID["payload"] | {"summary": summary, "source": source, "custom_details": details},
        "artifact": artifact,
    }
    response, answer = ingest(json.dumps(body))
    if response.status_code != 202:
        assert response.status_code == 400 and answer
        texts = [summary, source, artifact, *details.keys(), *details.values()]
        too_long = len(summary.strip()) > 1024 or len(source.strip()) > 255 or len(artifact.strip()) > 200
        unstorable = any("\x00" in text or SURROGATE.search(text) for text in texts)
        assert too_long or not summary.strip() or unstorable, answer
        return
    change = Change.objects.get(pk=answer["change"])
    # DRF's CharField trims surrounding whitespace; the title is the first 200 characters of the summary.
    assert change.title == summary.strip()[:200]
    assert change.summary.startswith(summary.strip())
    assert change.artifact == artifact.strip()
    record = IngestRecord.objects.filter(change=change).get()
    assert record.payload == body
    assert record.source == source.strip()[:255]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra",
    [
        {"payload": VALID["payload"] | {"custom_details": {"k": "a\ud800"}}},
        {"x_unknown_key": "\udfff"},
        {"x_unknown_key": {"\ud800": 1}},
        {"x_unknown_key": ["\x00"]},
    ],
)
def test_text_no_database_can_store_is_a_400_anywhere_in_the_body(ingest, extra):
    """Found by the fuzzer: PostgreSQL's jsonb refuses lone surrogates in the stored raw payload (was a 500)."""
    response, answer = ingest(json.dumps(VALID | extra))
    assert response.status_code == 400 and answer
    assert not Change.objects.exists()


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.django_db
@pytest.mark.parametrize("depth", [100, 450, 990, 5000])
@pytest.mark.parametrize("where", ["x_unknown_key", "custom_details"])
def test_hostile_nesting_is_a_400_not_a_500(ingest, depth, where):
    """Found in review: a recursive walk of the body hit RecursionError at a few hundred levels (500)."""
    nested = _nested(depth)
    if where == "custom_details":
        details = json.dumps({"custom_details": VALID["payload"]["custom_details"]})[1:-1]
        body = json.dumps(VALID).replace(details, f'"custom_details": {nested}', 1)
        assert nested in body
    else:
        body = json.dumps(VALID)[:-1] + f', "x_unknown_key": {nested}}}'
    response, answer = ingest(body)
    assert response.status_code == 400, response.content[:300]
    assert "nested" in json.dumps(answer).lower()
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_every_api_endpoint_answers_400_to_hostile_nesting(api_as, requester):
    response = api_as(requester).post("/api/v1/changes", _nested(5000), content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
