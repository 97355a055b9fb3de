"""OpenAPI: the schema is valid, documents every route and the token scheme; the docs page loads no CDN; and a
schemathesis run over every operation finds no 5xx and no response that breaks the schema."""

import re
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, transaction
from django.urls import get_resolver
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.settings import api_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from apps.accounts.choices import TokenScope
from apps.accounts.tokens import create_api_token
from apps.approvals.models import Approval
from apps.changes import services
from apps.incidents.models import Incident
from changeportal.wsgi import application
from tests.factories import FreezeWindowFactory, MembershipFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


def test_schema_documents_every_api_route(schema):
    """Every /api/v1/ URL pattern has a path in the schema."""
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]}
    api = next(p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/")
    routes = set()
    for group in api.url_patterns:
        for pattern in group.url_patterns:
            route = str(pattern.pattern).lstrip("^").rstrip("$")
            route = re.sub(r"\(\?P<[^>]+>[^)]*\)|<[^>]+>", "{}", route).replace("\\.", ".")
            if "format" in route or route.endswith("/?"):
                continue
            routes.add(f"/api/v1/{route}")
    assert routes <= documented, routes - documented


def test_token_security_scheme_and_key_operations(schema):
    scheme = schema["components"]["securitySchemes"]["ApiToken"]
    assert scheme == scheme | {"type": "http", "scheme": "bearer"}
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/changes/{id}/transition", "post"),
        ("/api/v1/changes/{id}/hosts/state", "post"),
        ("/api/v1/changes/{id}/decide", "post"),
        ("/api/v1/changes/{id}/gate", "get"),
        ("/api/v1/change-events", "post"),
        ("/api/v1/freeze-state", "get"),
        ("/api/v1/changes/feed", "get"),
    ]:
        operation = paths[path][method]
        assert {"ApiToken": []} in operation["security"], path
        assert "200" in operation["responses"] or "201" in operation["responses"] or "202" in operation["responses"]
    assert "409" in paths["/api/v1/changes/{id}"]["patch"]["responses"]
    assert "cursor" in {p["name"] for p in paths["/api/v1/changes/feed"]["get"]["parameters"]}
    assert "updated_since" in {p["name"] for p in paths["/api/v1/hosts"]["get"]["parameters"]}
    ingest = paths["/api/v1/change-events"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in ingest["parameters"]}


def test_docs_page_serves_swagger_without_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert not re.search(r"(src|href)=\"https?://", html), "the docs page must not load anything from a CDN"
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


@pytest.fixture
def wsgi_schema(db, monkeypatch):
    """Schemathesis calls the real WSGI app. Like Django's test client, keep the request signals from
    closing the test's database connection (it is inside the test transaction)."""
    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "100000/min")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def seed(team, requester, hosts, planned, approve):
    """Real objects for the path parameters, and a staff lead of the team holding a read-write token."""
    staff = UserFactory(username="schemathesis", is_staff=True)
    MembershipFactory(team=team, user=staff, is_lead=True)
    hosts[0].services.add(ServiceFactory(name="billing-web"))
    submitted = services.submit_change(change=planned(), actor=requester)
    approved = approve(planned(title="Approved one"))
    freeze = FreezeWindowFactory(start=timezone.now() + timedelta(days=20))
    freeze.environments.add(environment("prod"))
    return SimpleNamespace(
        token=create_api_token(user=staff, name="schemathesis", scope=TokenScope.READ_WRITE).plaintext,
        draft=planned(title="A draft"),
        submitted=submitted,
        approved=approved,
        approval=Approval.objects.filter(change=approved).first(),
        freeze=freeze,
        incident=Incident.objects.create(title="Checkout errors", started_at=timezone.now()),
        team=team,
    )


def _path_values(path: str, seed) -> dict:
    resource = path.split("/")[3]
    values = {
        "changes": {"id": seed.approved.pk, "hostname": "web01.prod"},
        "approvals": {"id": seed.approval.pk},
        "freeze-windows": {"id": seed.freeze.pk},
        "incidents": {"id": seed.incident.pk},
        "environments": {"slug": "prod"},
        "services": {"slug": "billing-web"},
        "teams": {"slug": seed.team.slug},
        "hosts": {"hostname": "web01.prod"},
    }.get(resource, {})
    return {name: value for name, value in values.items() if f"{{{name}}}" in path}


def _valid_requests(seed) -> list[tuple[str, str, dict, dict | None]]:
    """(method, path, path parameters, body): requests that must succeed, checked against the schema too."""
    start = timezone.now() + timedelta(days=3)
    new_change = {
        "title": "Rotate TLS certificates",
        "environment": "prod",
        "team": seed.team.slug,
        "planned_start": start.isoformat(),
        "planned_end": (start + timedelta(hours=1)).isoformat(),
        "hosts": ["web01.prod"],
        "services": ["billing-web"],
        "links": [{"kind": "ticket", "url": "https://tracker.example.com/OPS-1", "label": "OPS-1"}],
        "backout_plan": "Restore the old certificates.",
        "submit": True,
    }
    ingest = {
        "payload": {"summary": "Restarted nginx", "source": "ansible", "custom_details": {"play": "restart"}},
        "hosts": ["web01.prod", "brand-new01"],
        "environment": "prod",
        "kind": "config",
        "dedup_key": "ansible-1",
    }
    report = {"payload": {"summary": "Deployed"}, "change": seed.approved.pk, "hosts": ["web02.prod"]}
    changes = "/api/v1/changes/{id}"
    approved, submitted, draft = {"id": seed.approved.pk}, {"id": seed.submitted.pk}, {"id": seed.draft.pk}
    return [
        ("GET", "/api/v1/changes", {}, None),
        ("GET", "/api/v1/changes/feed", {}, None),
        ("GET", changes, approved, None),
        ("GET", f"{changes}/gate", approved, None),
        ("GET", "/api/v1/freeze-state", {}, None),
        ("GET", "/api/v1/freeze-windows", {}, None),
        ("GET", "/api/v1/freeze-windows/{id}", {"id": seed.freeze.pk}, None),
        ("GET", "/api/v1/approvals", {}, None),
        ("GET", "/api/v1/approvals/{id}", {"id": seed.approval.pk}, None),
        ("GET", "/api/v1/incidents", {}, None),
        ("GET", "/api/v1/incidents/{id}", {"id": seed.incident.pk}, None),
        ("GET", "/api/v1/environments", {}, None),
        ("GET", "/api/v1/environments/{slug}", {"slug": "prod"}, None),
        ("GET", "/api/v1/services", {}, None),
        ("GET", "/api/v1/services/{slug}", {"slug": "billing-web"}, None),
        ("GET", "/api/v1/teams", {}, None),
        ("GET", "/api/v1/teams/{slug}", {"slug": seed.team.slug}, None),
        ("GET", "/api/v1/hosts", {}, None),
        ("GET", "/api/v1/hosts/{hostname}", {"hostname": "web01.prod"}, None),
        ("POST", "/api/v1/changes", {}, new_change),
        ("PATCH", changes, draft, {"title": "A better title", "version": 1}),
        ("PUT", changes, draft, {**new_change, "submit": False, "version": 2}),
        ("POST", f"{changes}/transition", approved, {"target": "in_progress"}),
        ("POST", f"{changes}/hosts/state", approved, {"hosts": ["web01.prod"], "state": "applied"}),
        ("POST", f"{changes}/hosts/{{hostname}}/state", approved | {"hostname": "web03.prod"}, {"state": "skipped"}),
        ("POST", f"{changes}/decide", submitted, {"decision": "approved", "comment": "Fine."}),
        ("POST", "/api/v1/change-events", {}, ingest),
        ("POST", "/api/v1/change-events", {}, report),
        ("POST", "/api/v1/hosts", {}, {"hostname": "db07", "environment": "qa", "services": ["billing-web"]}),
        ("PATCH", "/api/v1/hosts/{hostname}", {"hostname": "db07"}, {"is_verified": False}),
    ]


CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES_PER_OPERATION = 4


def test_successful_answers_conform_to_the_schema(wsgi_schema, seed):
    headers = {"Authorization": f"Bearer {seed.token}"}
    for method, path, path_parameters, body in _valid_requests(seed):
        operation = wsgi_schema[path][method]
        kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = operation.Case(path_parameters=path_parameters, **kwargs)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert 200 <= response.status_code < 300, (method, path, response.status_code, response.text[:500])


def test_fuzzed_requests_never_error_and_conform_to_the_schema(wsgi_schema, seed):
    """Valid and invalid inputs for every operation, a few examples each, on real objects: no 5xx, every
    answer as documented."""
    headers = {"Authorization": f"Bearer {seed.token}"}
    failures = []
    operations = [result.ok() for result in wsgi_schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode, path_parameters=_path_values(operation.path, seed))

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Exception as exc:  # noqa: BLE001 - collected so one run reports every failing operation
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:3000]}")
    assert not failures, "\n\n".join(failures)


STATEFUL_SCENARIOS = 50
STATEFUL_STEPS = 10
WRITES = {"POST /api/v1/changes", "PUT /api/v1/changes/{id}", "POST /api/v1/hosts", "PUT /api/v1/hosts/{hostname}"}


def _real_references(seed):
    """For half of the write bodies, an overlay naming objects that exist and a valid window, so creates succeed and
    the links from their answers are followed: random slugs and hostnames, or a NUL in any of a change's dozen text
    fields, would make nearly every create a 400 and end every chain there. The other half is as generated."""
    start = timezone.now() + timedelta(days=3)
    references = st.fixed_dictionaries(
        {
            "environment": st.sampled_from(["prod", "qa"]),
            "hosts": st.lists(st.sampled_from(["web01.prod", "web02.prod", "web03.prod"]), max_size=3, unique=True),
            "planned_start": st.just(start.isoformat()),
            "planned_end": st.integers(1, 48).map(lambda hours: (start + timedelta(hours=hours)).isoformat()),
        },
        optional={"team": st.just(seed.team.slug), "services": st.just(["billing-web"])},
    )
    return st.one_of(st.just({}), references)


def _storable(body: dict) -> dict:
    def clean(value):
        if isinstance(value, str):
            return value.replace("\x00", "")
        return [clean(item) for item in value] if isinstance(value, list) else value

    return {key: clean(value) for key, value in body.items()}


@pytest.mark.postgres_only
def test_stateful_call_sequences_never_error_on_postgresql(wsgi_schema, seed):
    """Sequences of calls chained along the links schemathesis infers from the schema (create a host or a change,
    then read, edit, move or decide on it with the values it answered), valid and invalid inputs alike: no 5xx.
    On PostgreSQL, which refuses what SQLite stores (NUL, lone surrogates, UTC offsets beyond ±15:59): the DataErrors
    such runs found were 500s."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite stores NUL, lone surrogates and any UTC offset, so no DataError occurs")
    headers = {"Authorization": f"Bearer {seed.token}"}
    references = _real_references(seed)
    answers = Counter()

    @wsgi_schema.hook
    def flatmap_body(context, body):
        if context.operation.label not in WRITES or not isinstance(body, dict):
            return st.just(body)
        return references.map(lambda overlay: _storable(body) | overlay if overlay else body)

    base = wsgi_schema.as_state_machine()
    assert wsgi_schema.statistic.transitions.selected > 10, "schemathesis inferred too few links to chain calls"

    class APIWorkflows(base):
        # Each scenario starts from the seeded objects: what one created, or a failed statement, is rolled back.
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answers[case.operation.label, response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error], transport_kwargs=kwargs)

    APIWorkflows.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            phases=[Phase.generate],
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The links were followed: calls on an object named by an earlier answer succeeded. (How many creates succeed
    # is left to chance: with one of some forty operations drawn per step, a run may create nothing.)
    assert sum(n for (label, code), n in answers.items() if "{" in label and code < 300) > 0, answers
