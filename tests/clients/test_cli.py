"""The pipeline CLI (clients/python) against a live portal: the console script end to end, exit codes in-process."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from changeportal_cli import api
from changeportal_cli.cli import main
from django.db import connection
from django.utils import timezone

from apps.approvals import services as approval_services
from apps.changes import services
from apps.changes.models import Change, ChangeHost
from tests.factories import FreezeWindowFactory, HostFactory, environment

pytestmark = pytest.mark.django_db(transaction=True)
SOURCE = Path(__file__).resolve().parents[2] / "clients" / "python" / "src"


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch, private_throttle_counts):
    monkeypatch.setattr(api, "RETRY_DELAYS", (0.0, 0.0))


@pytest.fixture
def hosts(db):
    """Two hosts (the API tests' ``planned`` and ``approve``, from tests/clients/conftest.py, use these)."""
    return [HostFactory(hostname=f"web{n:02d}.prod") for n in range(1, 3)]


@pytest.fixture
def cli(live_server, requester, token_for, capsys):
    """``cli("gate", "CHG-1", ...)`` → (exit code, stdout, stderr), in-process, as the requester."""
    token = token_for(requester)

    def _run(*argv, token=token, url=live_server.url):
        try:
            code = main([*argv, "--url", url, "--token", token])
        except SystemExit as exit:  # argparse's usage errors
            code = exit.code
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def console(live_server, requester, token_for):
    """The installed console script (`make install` puts it in .venv/bin), configured through the environment."""
    script = shutil.which("changeportal", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "changeportal_cli"]
    env = os.environ | {"CHANGEPORTAL_URL": live_server.url, "CHANGEPORTAL_TOKEN": token_for(requester)}
    env["PYTHONPATH"] = str(SOURCE)

    def _run(*argv):
        return subprocess.run([*command, *argv], env=env, capture_output=True, text=True, timeout=60)

    return _run


def _states(change):
    links = ChangeHost.objects.filter(change=change).select_related("host")
    return {link.host.hostname: link.state for link in links}


class TestGate:
    def test_console_script_approved_in_its_window_exits_0(self, console, planned, approve):
        change = approve(planned())
        done = console("gate", change.reference)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"{change.reference} may proceed")

    def test_not_approved_is_10(self, cli, planned):
        code, out, _ = cli("gate", str(planned().pk))
        assert code == 10 and "(not_approved)" in out and "must be approved" in out

    def test_outside_its_window_is_11(self, cli, planned, approve):
        change = approve(planned())
        code, out, _ = cli("gate", change.reference, "--at", change.planned_end.isoformat())
        assert code == 11 and "is over" in out

    def test_frozen_is_12(self, cli, planned, approve):
        change = approve(planned())
        now = timezone.now()
        FreezeWindowFactory(start=now - timedelta(hours=1), end=now + timedelta(hours=3)).environments.add(
            environment("prod")
        )
        code, out, _ = cli("gate", change.reference, "--json")
        assert code == 12 and json.loads(out)["codes"] == ["frozen"]

    def test_wait_until_it_gets_approved(self, cli, planned, lead):
        draft = planned()
        change = services.submit_change(change=draft, actor=draft.requester)

        def approve_soon():
            time.sleep(1.0)
            approval_services.decide(change=Change.objects.get(pk=change.pk), actor=lead, decision="approved")
            connection.close()

        approver = threading.Thread(target=approve_soon)
        approver.start()
        code, out, _ = cli("gate", change.reference, "--wait", "30s", "--interval", "0.2s")
        approver.join()
        lines = out.splitlines()
        assert code == 0 and len(lines) >= 2
        assert "(not_approved)" in lines[0] and "may proceed" in lines[-1]

    def test_wait_gives_up_with_the_last_reason(self, cli, planned):
        change = planned()
        started = time.monotonic()
        code, out, err = cli("gate", change.reference, "--wait", "1s", "--interval", "0.3s")
        assert code == 10 and 2 <= len(out.splitlines()) <= 6
        assert time.monotonic() - started < 10 and "gave up" in err

    def test_missing_change_bad_token_unreachable_and_usage(self, cli, planned):
        assert cli("gate", "CHG-424242")[0] == 4
        code, _, err = cli("gate", "CHG-1", token="cp_not-a-token")
        assert code == 3 and err.startswith("changeportal: error: 401")
        code, _, err = cli("gate", "CHG-1", url="http://127.0.0.1:9")
        assert code == 5 and "Cannot reach" in err
        assert cli("gate", "CHANGE-X")[0] == 2
        assert cli("gate", "CHG-1", "--wait", "soon")[0] == 2


class TestReport:
    def test_console_script_reports_hosts(self, console, planned, approve):
        change = approve(planned())
        done = console("report", change.reference, "--host", "web01.prod", "--host", "web02.prod", "--note", "ok")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == change.reference
        assert _states(change) == {"web01.prod": "applied", "web02.prod": "applied"}

    def test_from_file_sets_each_hosts_state(self, cli, planned, approve, tmp_path):
        change = approve(planned())
        at = timezone.now().replace(microsecond=0)
        results = tmp_path / "results.json"
        document = {"hosts": {"web01.prod": "applied", "web02.prod": {"state": "failed", "at": at.isoformat()}}}
        results.write_text(json.dumps(document | {"status": "completed"}))
        code, out, _ = cli("report", str(change.pk), "--from-file", str(results))
        assert code == 0 and out.strip() == change.reference
        assert _states(change) == {"web01.prod": "applied", "web02.prod": "failed"}
        assert ChangeHost.objects.get(change=change, host__hostname="web02.prod").state_changed_at == at

    def test_from_file_as_a_list_and_its_errors(self, cli, planned, approve, tmp_path):
        change = approve(planned())
        results = tmp_path / "results.json"
        results.write_text(json.dumps(["web01.prod", {"name": "web02.prod", "state": "skipped"}]))
        assert cli("report", change.reference, "--from-file", str(results))[0] == 0
        assert _states(change) == {"web01.prod": "applied", "web02.prod": "skipped"}
        results.write_text(json.dumps({"hosts": {"web01.prod": 3}}))
        code, _, err = cli("report", change.reference, "--from-file", str(results))
        assert code == 2 and "give a state" in err
        assert cli("report", change.reference)[0] == 2  # no hosts

    def test_unknown_change_is_4(self, cli, hosts):
        code, _, err = cli("report", "CHG-424242", "--host", "web01.prod")
        assert code == 4 and "No change CHG-424242" in err

    def test_a_retry_after_a_lost_answer_records_once(self, cli, planned, approve, monkeypatch):
        change = approve(planned())
        real, calls = api.Client._once, []

        def lose_the_first_answer(self, *args):
            answer = real(self, *args)
            calls.append(answer)
            if len(calls) == 1:
                raise api.CliError("Cannot reach the portal: timed out", api.UNAVAILABLE)
            return answer

        monkeypatch.setattr(api.Client, "_once", lose_the_first_answer)
        code, _, err = cli("report", change.reference, "--host", "web01.prod", "--state", "failed")
        assert code == 0 and [answer["duplicate"] for answer in calls] == [False, True]
        assert "already recorded" in err
        assert _states(change)["web01.prod"] == "failed"


class TestEvent:
    def test_console_script_records_an_unplanned_change(self, console, hosts):
        argv = ["event", "--summary", "Hotfix billing 2.4.1", "--hosts", "web01.prod,web09.prod"]
        argv += ["--environment", "prod", "--kind", "release", "--artifact", "billing 2.4.1"]
        argv += ["--link", "https://ci.example.com/812", "--dedup-key", "billing-812"]
        done = console(*argv)
        assert done.returncode == 0, done.stderr
        change = Change.objects.get(pk=int(done.stdout.strip().removeprefix("CHG-")))
        assert change.is_unplanned and change.title == "Hotfix billing 2.4.1" and change.artifact == "billing 2.4.1"
        assert _states(change) == {"web01.prod": "applied", "web09.prod": "applied"}
        assert "warning: Unknown hosts created as unverified: web09.prod." in done.stderr
        again = console(*argv, "--json")
        assert json.loads(again.stdout)["duplicate"] is True and Change.objects.count() == 1

    def test_field_errors_are_one_readable_line(self, cli, hosts):
        code, _, err = cli("event", "--summary", "x", "--hosts", "web01.prod", "--environment", "moon")
        assert code == 2 and err.count("\n") == 1
        assert "environment: Unknown environment 'moon'" in err

    def test_a_read_only_token_is_3(self, cli, requester, token_for, hosts):
        code, _, err = cli("event", "--summary", "x", token=token_for(requester, "read"))
        assert code == 3 and "403" in err
