"""contrib/ansible/callback_plugins/changeportal.py, driven by real ansible-playbook runs against a live server."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from apps.changes.choices import ActivityAction, ChangeStatus
from apps.changes.models import Change, ChangeActivity, ChangeHost
from apps.ingest.models import IngestRecord
from tests.factories import environment

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("private_throttle_counts")]

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "contrib" / "ansible" / "callback_plugins"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
HOSTS = ["web01.prod", "web02.prod", "web03.prod"]

# One task fails on web02, one is skipped on web03 (which so skips every task), web01 applies both.
DEPLOY = """
- name: Deploy billing
  hosts: web
  gather_facts: false
  tasks:
    - name: Refuse on web02
      ansible.builtin.fail:
        msg: web02 refuses the deploy
      when: inventory_hostname == 'web02.prod'
    - name: Touch a file per host
      ansible.builtin.file:
        path: "{{ touched_dir }}/{{ inventory_hostname }}"
        state: touch
      when: inventory_hostname != 'web03.prod'
"""
ALL_OK = """
- name: Tweak config
  hosts: web
  gather_facts: false
  tasks:
    - name: Touch a file per host
      ansible.builtin.file:
        path: "{{ touched_dir }}/{{ inventory_hostname }}"
        state: touch
"""


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def ansible(tmp_path, live_server, requester, token_for):
    """``ansible(playbook_text, **env)`` runs ansible-playbook with the plugin enabled; → CompletedProcess."""
    if not ANSIBLE_PLAYBOOK.exists():
        pytest.skip(f"ansible-core is not installed ({ANSIBLE_PLAYBOOK})")
    (tmp_path / "ansible.cfg").write_text(
        f"[defaults]\ncallback_plugins = {PLUGINS}\ncallbacks_enabled = changeportal\n"
        "retry_files_enabled = False\nnocows = True\n"
    )
    (tmp_path / "inventory.ini").write_text(
        "[web]\n"
        + "".join(f"{host}\n" for host in HOSTS)
        + f"[web:vars]\nansible_connection=local\nansible_python_interpreter={sys.executable}\n"
    )
    (tmp_path / "touched").mkdir()
    token = token_for(requester)
    base = {name: value for name, value in os.environ.items() if not name.startswith(("CHANGEPORTAL_", "ANSIBLE_"))}
    base |= {
        "LC_ALL": "C.UTF-8",
        "HOME": str(tmp_path),
        "ANSIBLE_CONFIG": str(tmp_path / "ansible.cfg"),
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "CHANGEPORTAL_URL": live_server.url,
        "CHANGEPORTAL_TOKEN": token,
        "CHANGEPORTAL_SPOOL": str(tmp_path / "spool"),
    }

    def _run(playbook: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        path = tmp_path / "playbook.yml"
        path.write_text(playbook)
        command = [str(ANSIBLE_PLAYBOOK), "-i", str(tmp_path / "inventory.ini"), str(path)]
        command += ["-e", f"touched_dir={tmp_path / 'touched'}", *args]
        done = subprocess.run(command, env=base | env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        done.output = done.stdout + done.stderr
        return done

    return _run


def states(change: Change) -> dict[str, str]:
    return dict(ChangeHost.objects.filter(change=change).values_list("host__hostname", "state"))


def test_reports_the_execution_of_a_planned_change_with_each_hosts_outcome_and_the_recap(ansible, planned, approve):
    change = approve(planned())
    run = ansible(DEPLOY, CHANGEPORTAL_CHANGE=change.reference)
    assert run.returncode == 2, run.output  # what ansible-playbook answers when a host failed
    assert f"changeportal: reported to {change.reference}" in run.output

    change.refresh_from_db()
    assert states(change) == {"web01.prod": "applied", "web02.prod": "failed", "web03.prod": "skipped"}
    assert change.actual_start is not None and change.actual_end is not None
    assert change.actual_start <= change.actual_end
    links = ChangeHost.objects.filter(change=change)
    assert all(change.actual_start <= link.state_changed_at <= change.actual_end for link in links)
    report = ChangeActivity.objects.filter(change=change, action=ActivityAction.COMMENT).latest("pk")
    assert "from ansible-playbook playbook.yml: failed, 3 hosts" in report.note
    assert "1 of 3 hosts failed. PLAY RECAP" in report.note
    assert "web01.prod ok=1 changed=1 unreachable=0 failed=0 skipped=1" in report.note
    assert "web02.prod ok=0 changed=0 unreachable=0 failed=1 skipped=0" in report.note
    assert "web03.prod ok=0 changed=0 unreachable=0 failed=0 skipped=2" in report.note
    record = IngestRecord.objects.get(change=change)
    assert record.dedup_key.startswith("ansible-") and record.source == "ansible-playbook playbook.yml"
    assert not Change.objects.filter(is_unplanned=True).exists()


def test_without_a_change_a_run_is_recorded_as_one_unplanned_change(ansible, hosts, tmp_path):
    run = ansible(DEPLOY, CHANGEPORTAL_KIND="release", CHANGEPORTAL_ARTIFACT="billing 2.4.1")
    assert run.returncode == 2, run.output

    change = Change.objects.get(is_unplanned=True)
    assert change.title == "Ansible playbook playbook.yml (1 of 3 hosts failed)"
    assert (change.status, change.kind, change.artifact) == (ChangeStatus.FAILED, "release", "billing 2.4.1")
    assert change.environment.slug == "prod"
    assert states(change) == {"web01.prod": "applied", "web02.prod": "failed", "web03.prod": "skipped"}
    assert "web03.prod ok=0 changed=0 unreachable=0 failed=0 skipped=2" in change.summary
    assert change.actual_start <= change.actual_end


def test_an_unplanned_run_on_hosts_the_portal_does_not_know_needs_the_environment(ansible, team, tmp_path):
    environment("qa")
    refused = ansible(ALL_OK)
    assert refused.returncode == 0, refused.output
    assert "changeportal: the portal refused the report (HTTP 400)" in refused.output
    assert "Required when the hosts do not all belong to one known environment" in refused.output
    assert not (tmp_path / "spool").exists()  # it would never be accepted: not kept

    run = ansible(ALL_OK, CHANGEPORTAL_ENVIRONMENT="qa")
    assert run.returncode == 0, run.output
    assert "changeportal: reported to CHG-" in run.output, run.output

    change = Change.objects.get(is_unplanned=True)
    assert (change.environment.slug, change.kind, change.status) == ("qa", "config", ChangeStatus.COMPLETED)
    assert states(change) == dict.fromkeys(HOSTS, "applied")


def test_gate_enforce_stops_a_run_of_an_unapproved_change_before_any_task(ansible, planned, tmp_path):
    change = planned()  # a draft
    run = ansible(ALL_OK, CHANGEPORTAL_CHANGE=str(change.pk), CHANGEPORTAL_GATE="enforce")

    assert run.returncode != 0, run.output
    assert f"changeportal: {change.reference} may not proceed" in run.output
    assert f"{change.reference} is draft: it must be approved before it runs." in run.output
    assert "TASK [" not in run.output and not any((tmp_path / "touched").iterdir())
    change.refresh_from_db()
    assert change.actual_start is None and not IngestRecord.objects.exists()


def test_gate_warn_prints_the_reasons_and_goes_on(ansible, planned, tmp_path):
    change = planned()
    run = ansible(ALL_OK, "-e", f"changeportal_change={change.reference}", CHANGEPORTAL_GATE="warn")

    assert run.returncode == 0, run.output
    assert f"{change.reference} is draft: it must be approved before it runs." in run.output
    assert sorted(path.name for path in (tmp_path / "touched").iterdir()) == HOSTS
    assert states(change) == dict.fromkeys(HOSTS, "applied")


def test_gate_enforce_lets_an_approved_change_run(ansible, planned, approve):
    change = approve(planned())
    run = ansible(ALL_OK, CHANGEPORTAL_CHANGE=change.reference, CHANGEPORTAL_GATE="enforce")

    assert run.returncode == 0, run.output
    assert f"the gate lets {change.reference} proceed" in run.output
    assert states(change) == dict.fromkeys(HOSTS, "applied")


def test_a_portal_down_never_fails_the_run_and_the_next_run_sends_the_spooled_report_first(
    ansible, hosts, tmp_path, closed_port, live_server
):
    down = ansible(ALL_OK, CHANGEPORTAL_URL=f"http://127.0.0.1:{closed_port}")
    assert down.returncode == 0, down.output
    assert "[WARNING]: changeportal: could not report to" in down.output
    spooled = list((tmp_path / "spool").iterdir())
    assert len(spooled) == 1
    kept = json.loads(spooled[0].read_text())
    assert kept["url"] == f"http://127.0.0.1:{closed_port}/api/v1/change-events"
    assert "Authorization" not in kept["headers"] and kept["headers"]["Idempotency-Key"].startswith("ansible-")
    assert "cp_" not in spooled[0].read_text()
    assert not Change.objects.exists()

    # The spooled report points at the portal now up; a copy of it (a retried send) must record nothing more,
    # and a report the portal will never take (400) is dropped.
    kept["url"] = f"{live_server.url}/api/v1/change-events"
    spooled[0].write_text(json.dumps(kept))
    (tmp_path / "spool" / (spooled[0].stem + "-copy.json")).write_text(json.dumps(kept))
    broken = kept | {"body": kept["body"] | {"environment": "nowhere"}, "headers": {}}
    (tmp_path / "spool" / "99999999-broken.json").write_text(json.dumps(broken))

    up = ansible(ALL_OK)
    assert up.returncode == 0, up.output
    assert up.output.index("sent the spooled report") < up.output.index("PLAY [")
    assert "refused the spooled report 99999999-broken.json (HTTP 400" in up.output
    assert list((tmp_path / "spool").iterdir()) == []
    first, second = Change.objects.order_by("pk")
    assert first.is_unplanned and second.is_unplanned
    assert first.actual_end < second.actual_start
    assert IngestRecord.objects.count() == 2


def load_plugin():
    spec = importlib.util.spec_from_file_location("changeportal_callback", PLUGINS / "changeportal.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=False)
def test_change_references_host_states_and_a_recap_that_fits_the_summary():
    plugin = load_plugin()
    assert [plugin.parse_change(value) for value in ("CHG-12", "chg-12", " 12 ", 12, "CHG-", "12a", "")] == [
        12,
        12,
        12,
        12,
        None,
        None,
        None,
    ]
    recap = dict.fromkeys(plugin.RECAP_FIELDS, 0)
    assert plugin.host_state(recap | {"ok": 2, "changed": 1}) == "applied"
    assert plugin.host_state(recap | {"ok": 2, "failures": 1}) == "failed"
    assert plugin.host_state(recap | {"unreachable": 1}) == "failed"
    assert plugin.host_state(recap | {"skipped": 3}) == "skipped"
    lines = [plugin.recap_line(f"web{n:03d}.prod", recap | {"ok": 1}) for n in range(100)]
    summary = plugin._fit("ansible-playbook site.yml: 100 hosts, none failed. PLAY RECAP", lines)
    assert len(summary) <= plugin.MAX_SUMMARY and summary.endswith("more hosts") and lines[0] in summary
    assert plugin._fit("head", lines[:2]) == "head\n" + "\n".join(lines[:2])
