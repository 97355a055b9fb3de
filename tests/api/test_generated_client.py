"""A client generated from the OpenAPI schema by openapi-python-client works against the running server: the schema
describes what the API really takes and answers. Every request body is JSON only, so each operation gets one body
model and the generator has nothing to warn about."""

import importlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "change_portal_api_client"  # from the schema's title, "ChangePortal API"


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_every_request_body_is_json_only(schema):
    bodies = {
        f"{method.upper()} {path}": sorted(operation["requestBody"]["content"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    }
    assert len(bodies) >= 10
    assert {label: types for label, types in bodies.items() if types != ["application/json"]} == {}


def test_every_201_documents_its_location_header(schema):
    created = {
        f"{method.upper()} {path}": operation["responses"]["201"]
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if "201" in operation["responses"]
    }
    assert {"POST /api/v1/changes", "POST /api/v1/hosts", "POST /api/v1/changes/{id}/decide"} <= set(created)
    for label, response in created.items():
        assert response["headers"]["Location"]["required"], label


@pytest.fixture
def generated(schema, tmp_path):
    """The package openapi-python-client generates from the schema, importable for this test only."""
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    # Its post-generation hooks run ruff, which is in the same virtualenv.
    env = os.environ | {"PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(GENERATOR), "generate", "--path", "schema.json", "--output-path", "client"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(tmp_path / "client"))
    try:
        yield lambda name="": importlib.import_module(f"{PACKAGE}{name}")
    finally:
        sys.path.remove(str(tmp_path / "client"))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_creates_edits_and_moves_a_change(generated, live_server, requester, team, hosts, token_for):
    models = generated(".models")
    api = generated(".api.v1")
    client = generated().AuthenticatedClient(base_url=live_server.url, token=token_for(requester))
    call = lambda operation: importlib.import_module(f"{api.__name__}.{operation}").sync_detailed  # noqa: E731
    start = timezone.now() + timedelta(days=2)

    with client:
        body = models.ChangeWrite(
            title="Rotate TLS certificates",
            environment="prod",
            team=team.slug,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            hosts=["web01.prod", "web02.prod"],
            backout_plan="Restore the old certificates.",
        )
        response = call("v1_changes_create")(client=client, body=body)
        assert response.status_code == 201, response.content
        change = response.parsed
        assert isinstance(change, models.Change)
        assert change.status == models.ChangeStatusEnum.DRAFT and change.version == 1
        assert response.headers["Location"] == f"{live_server.url}/api/v1/changes/{change.id}"

        read = call("v1_changes_retrieve")(id=change.id, client=client).parsed
        assert [host.hostname for host in read.hosts] == ["web01.prod", "web02.prod"]

        edit = models.PatchedChangeUpdate(title="Rotate TLS certificates on web", version=read.version)
        response = call("v1_changes_partial_update")(id=change.id, client=client, body=edit)
        assert response.status_code == 200, response.content
        assert response.parsed.title == "Rotate TLS certificates on web" and response.parsed.version == 2
        stale = call("v1_changes_partial_update")(id=change.id, client=client, body=edit)
        assert stale.status_code == 409 and isinstance(stale.parsed, models.ApiError)

        move = models.Transition(target=models.ChangeStatusEnum.SUBMITTED)
        response = call("v1_changes_transition_create")(id=change.id, client=client, body=move)
        assert response.status_code == 200, response.content
        assert response.parsed.status == models.ChangeStatusEnum.SUBMITTED
        illegal = models.Transition(target=models.ChangeStatusEnum.COMPLETED)
        response = call("v1_changes_transition_create")(id=change.id, client=client, body=illegal)
        assert response.status_code == 409 and "completed" in response.parsed.detail.lower()
