"""``manage.py import_inventory``: CSV, Ansible inventory and NetBox sources upserted by hostname, all or nothing,
idempotent, audited via "command"; --dry-run writes nothing; --retire-missing deactivates and never deletes."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.audit.models import AuditEntry
from apps.inventory.models import Host, Tag
from tests.factories import HostFactory, ServiceFactory, UserFactory, environment

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def names(db):
    for slug in ("dev", "qa", "prod"):
        environment(slug)
    for slug in ("billing-web", "billing-api"):
        ServiceFactory(name=slug, slug=slug)
    for slug in ("pci", "dc-one", "misc"):
        Tag.objects.create(name=slug, slug=slug)


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_inventory", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def state(hostname: str) -> tuple:
    host = Host.objects.get(hostname=hostname)
    return (
        host.environment.slug,
        sorted(s.slug for s in host.services.all()),
        sorted(t.slug for t in host.tags.all()),
        host.fqdn,
        host.ip_address,
        host.is_active,
    )


def test_csv_creates_the_hosts_then_a_second_run_changes_nothing(names):
    out, _ = run(FIXTURES / "hosts.csv")
    assert "created 3, updated 0, unchanged 0, retired 0, errors 0" in out
    assert state("web01") == (
        "prod",
        ["billing-api", "billing-web"],
        ["pci"],
        "web01.prod.example.com",
        "10.0.0.1",
        True,
    )
    assert state("db01") == ("qa", [], ["pci"], "", None, True)
    entries = AuditEntry.objects.count()
    assert set(AuditEntry.objects.values_list("via", "action")) == {("command", "created")}

    out, _ = run(FIXTURES / "hosts.csv")
    assert "created 0, updated 0, unchanged 3, retired 0, errors 0" in out
    assert AuditEntry.objects.count() == entries


def test_a_changed_environment_and_services_show_in_the_dry_run_then_apply_audited(names):
    run(FIXTURES / "hosts.csv")
    entries = AuditEntry.objects.count()

    out, _ = run(FIXTURES / "hosts_changed.csv", "--dry-run")
    assert "update web01 (line 2): environment: prod → qa, services: billing-api;billing-web → billing-web" in out
    assert "Dry run, nothing written: created 0, updated 1, unchanged 1, retired 0, errors 0" in out
    assert state("web01")[0] == "prod"
    assert AuditEntry.objects.count() == entries

    out, _ = run(FIXTURES / "hosts_changed.csv")
    assert "created 0, updated 1, unchanged 1" in out
    assert state("web01")[:2] == ("qa", ["billing-web"])
    [entry] = AuditEntry.objects.for_object(Host.objects.get(hostname="web01")).filter(action="updated")
    assert entry.via == "command"
    assert set(entry.changes) == {"environment", "services"}


def test_retire_missing_marks_absent_hosts_inactive_and_deletes_nothing(names):
    run(FIXTURES / "hosts.csv")
    HostFactory(hostname="old01", environment=environment("prod"))
    HostFactory(hostname="dev01", environment=environment("dev"))

    out, _ = run(FIXTURES / "hosts_changed.csv", "--retire-missing", "--dry-run")
    assert "retire old01: is_active: True → False" in out
    assert "retire db01" in out  # qa is in the source (web01 moves there)
    assert "dev01" not in out  # dev is not in the source: out of scope
    assert Host.objects.filter(is_active=False).count() == 0

    out, _ = run(FIXTURES / "hosts_changed.csv", "--retire-missing", "--environment", "prod")
    assert "retired 1" in out
    assert list(Host.objects.filter(is_active=False).values_list("hostname", flat=True)) == ["old01"]
    assert Host.objects.count() == 5
    [entry] = AuditEntry.objects.for_object(Host.objects.get(hostname="old01"))
    assert (entry.via, entry.changes) == ("command", {"is_active": {"before": True, "after": False}})


def test_bad_rows_are_listed_with_their_lines_and_nothing_is_written(names):
    with pytest.raises(CommandError) as raised:
        run(FIXTURES / "hosts_bad.csv")
    assert raised.value.returncode == 2
    assert Host.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_bad_rows_report(names):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError):
        call_command("import_inventory", str(FIXTURES / "hosts_bad.csv"), stdout=out, stderr=err)
    report = err.getvalue()
    assert "line 3: hostname: web_02!:" in report
    assert "line 4: environment: Unknown environment: staging." in report
    assert "line 5: hostname: web01 appears more than once (also line 2)." in report
    assert "line 6: ip: Not an IP address: 999.1.1.1." in report
    assert "line 6: active: Not true or false: maybe." in report
    assert "Nothing written: created 1, updated 0, unchanged 0, retired 0, errors 5" in out.getvalue()


def test_ansible_groups_map_to_environment_services_and_tags(names):
    out, _ = run(FIXTURES / "ansible.json", "--format", "ansible", "--mapping", FIXTURES / "ansible_mapping.yml")
    assert "created 3" in out
    # prod through the parent group, webservers → billing-web by the mapping, dc1 → dc-one by the mapping
    assert state("web01.example.com") == ("prod", ["billing-web"], ["dc-one"], "", "10.0.1.1", True)
    # pci is an existing tag: it becomes the tag; ansible_host as a name is the fqdn
    assert state("web02.example.com") == ("prod", ["billing-web"], ["pci"], "web02.internal.example.com", None, True)
    # qa sets the environment, misc is an existing tag, datacenter (a plain group) is ignored
    assert state("db01.example.com") == ("qa", [], ["dc-one", "misc"], "", None, True)


def test_netbox_devices_and_virtual_machines(names):
    files = [FIXTURES / "netbox_devices.json", FIXTURES / "netbox_vms.json"]
    out, _ = run(*files, "--format", "netbox", "--mapping", FIXTURES / "netbox_mapping.json")
    assert "created 3" in out
    assert state("sw01") == ("prod", ["billing-web"], ["pci"], "", "10.1.0.1", True)
    assert state("sw02") == ("dev", [], [], "", None, False)  # offline → inactive; site lab → dev by the mapping
    assert state("vm01") == ("qa", ["billing-api"], [], "", "10.2.0.5", True)  # the qa tag names the environment


@pytest.fixture
def netbox():
    """A tiny NetBox on a loopback port serving the fixture pages; the devices come in two pages (``next``)."""
    devices = json.loads((FIXTURES / "netbox_devices.json").read_text())
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers.get("Authorization", ""))
            base = f"http://127.0.0.1:{self.server.server_port}"
            pages = {
                "/api/dcim/devices/?limit=1000": {**devices, "results": devices["results"][:1], "next": f"{base}/p2"},
                "/p2": {**devices, "results": devices["results"][1:], "next": None},
                "/api/virtualization/virtual-machines/?limit=1000": json.loads(
                    (FIXTURES / "netbox_vms.json").read_text()
                ),
            }
            if self.path not in pages:
                self.send_error(404)
                return
            body = json.dumps(pages[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_netbox_pages_fetched_over_http_following_next(names, netbox):
    url, seen = netbox
    out, _ = run("--netbox-url", url, "--netbox-token", "t0k", "--mapping", FIXTURES / "netbox_mapping.json")
    assert "created 3" in out
    assert seen == ["Token t0k"] * 3
    assert state("sw02") == ("dev", [], [], "", None, False)
    assert state("vm01")[0] == "qa"


def test_an_unreachable_netbox_is_a_command_error(names, netbox):
    url, _ = netbox
    with pytest.raises(CommandError, match="404"):
        run("--netbox-url", url + "/nothing-here")


def test_a_missing_file_or_unknown_format_is_a_command_error(names):
    with pytest.raises(CommandError, match="No such file"):
        run(FIXTURES / "nope.csv")
    with pytest.raises(CommandError, match="--format"):
        run(FIXTURES / "ansible.json")


# --- The upload page for staff ----------------------------------------------------------------------------------


def test_the_upload_page_previews_then_applies_as_the_staff_user(client, names):
    staff = UserFactory(username="ops", is_staff=True)
    client.force_login(staff)
    with open(FIXTURES / "hosts.csv", "rb") as upload:
        response = client.post("/hosts/import/", {"source": upload, "format": "csv", "preview": ""})
    assert response.status_code == 200
    assert b"Preview, nothing written yet:" in response.content
    assert b"created 3, updated 0" in response.content
    assert not Host.objects.exists()

    content = (FIXTURES / "hosts.csv").read_text()
    response = client.post("/hosts/import/", {"content": content, "format": "csv", "apply": ""})
    assert b"Applied:" in response.content
    assert Host.objects.count() == 3
    assert set(AuditEntry.objects.values_list("actor", "via")) == {(staff.pk, "ui")}


def test_the_upload_page_lists_bad_rows_and_writes_nothing(client, names):
    client.force_login(UserFactory(is_staff=True))
    content = (FIXTURES / "hosts_bad.csv").read_text()
    response = client.post("/hosts/import/", {"content": content, "format": "csv", "apply": ""})
    assert b"Nothing can be written:" in response.content
    assert b"Unknown environment: staging." in response.content
    assert not Host.objects.exists()


def test_the_upload_page_is_for_staff_only(client, names):
    client.force_login(UserFactory())
    assert client.get("/hosts/import/").status_code == 403
