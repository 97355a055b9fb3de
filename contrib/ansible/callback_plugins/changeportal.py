"""Ansible callback plugin: report each ansible-playbook run to ChangePortal (README "Ansible").

Standard library only, besides Ansible itself. With a planned change (``CHANGEPORTAL_CHANGE`` or the extra var
``changeportal_change``) it reports that change's execution at the end of the playbook, each host's outcome and
the play recap; without one it records the run as one unplanned change. ``CHANGEPORTAL_GATE=enforce`` asks the
change's gate before the first task and stops a refused run. The portal being down never fails a playbook: the
report is retried briefly, then spooled to a file and sent first by the next run.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ansible import context
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
    name: changeportal
    type: notification
    short_description: Report playbook runs to ChangePortal
    description:
      - Reports the execution of a planned change (per-host outcome, actual start and end, the play recap), or
        records an unplanned change when no change is named.
      - Optionally asks the change's gate before any task runs and stops a refused run.
      - Never fails a playbook because the portal is down; unsent reports are spooled and sent by the next run.
    requirements:
      - enable it in ansible.cfg (callbacks_enabled = changeportal)
    options:
      url:
        description: Base URL of ChangePortal, e.g. https://changeportal.example.com
        env: [{name: CHANGEPORTAL_URL}]
        ini: [{section: callback_changeportal, key: url}]
      token:
        description: A read-write API token (cp_...).
        env: [{name: CHANGEPORTAL_TOKEN}]
      change:
        description: The planned change this run executes (CHG-12 or 12); the extra var changeportal_change wins.
        env: [{name: CHANGEPORTAL_CHANGE}]
      gate:
        description: Ask the change's gate at playbook start; enforce stops a refused run, warn only prints.
        env: [{name: CHANGEPORTAL_GATE}]
        ini: [{section: callback_changeportal, key: gate}]
        default: "off"
        choices: ["enforce", "warn", "off"]
      kind:
        description: Kind of the unplanned change recorded when no change is named.
        env: [{name: CHANGEPORTAL_KIND}]
        ini: [{section: callback_changeportal, key: kind}]
        default: config
      artifact:
        description: What was deployed (e.g. "billing 2.4.0").
        env: [{name: CHANGEPORTAL_ARTIFACT}]
      environment:
        description: Environment slug of an unplanned change; needed when its hosts are unknown to the portal.
        env: [{name: CHANGEPORTAL_ENVIRONMENT}]
        ini: [{section: callback_changeportal, key: environment}]
      spool:
        description: Directory of the reports that could not be sent.
        env: [{name: CHANGEPORTAL_SPOOL}]
        ini: [{section: callback_changeportal, key: spool}]
        default: ~/.cache/changeportal/spool
        type: path
"""

TRIES = 3
PAUSE_SECONDS = 1.0
TIMEOUT_SECONDS = 5.0
MAX_SUMMARY = 1024  # payload.summary's limit on the portal
# Worth sending again later: the portal unreachable (None) or failing (5xx), a credential to fix, a conflict or a
# rate limit. Any other 4xx will never succeed and is dropped.
KEEP_STATUSES = {401, 403, 408, 409, 429}
RETRY_NOW_STATUSES = {408, 409, 429}
REFUSED_EXIT_CODE = 1
CHANGE_RE = re.compile(r"^(?:chg-)?(\d{1,18})$", re.IGNORECASE)
RECAP_FIELDS = ("ok", "changed", "unreachable", "failures", "skipped", "rescued", "ignored")


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_change(value: Any) -> int | None:
    """``CHG-12``, ``chg-12``, ``12`` or 12 → 12; anything else → None."""
    match = CHANGE_RE.match(str(value).strip())
    return int(match.group(1)) if match else None


def host_state(summary: dict[str, int]) -> str:
    if summary.get("failures") or summary.get("unreachable"):
        return "failed"
    if summary.get("ok") or summary.get("changed"):
        return "applied"
    return "skipped"


def recap_line(host: str, summary: dict[str, int]) -> str:
    names = {"failures": "failed"}
    return f"{host} " + " ".join(f"{names.get(key, key)}={summary.get(key, 0)}" for key in RECAP_FIELDS)


def _detail(body: bytes) -> str:
    try:
        answer = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    return str(answer.get("detail", answer) if isinstance(answer, dict) else answer)[:500]


def send(method: str, url: str, headers: dict[str, str], body: dict | None, *, tries: int) -> tuple[int | None, bytes]:
    """(HTTP status, body); status None when the portal could not be reached. Retries what may pass next time."""
    data = json.dumps(body).encode() if body is not None else None
    status: int | None = None
    answer = b""
    for attempt in range(tries):
        if attempt:
            time.sleep(PAUSE_SECONDS)
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
        except (OSError, ValueError) as exc:  # refused, timed out, DNS, TLS
            status, answer = None, str(exc).encode()
        if status is not None and status < 500 and status not in RETRY_NOW_STATUSES:
            break
    return status, answer


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "changeportal"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._run = uuid.uuid4().hex
        self._playbooks = 0
        self._spool_flushed = False
        self._reset(playbook="")

    def _reset(self, *, playbook: str) -> None:
        self._playbook = playbook
        self._started_at: datetime | None = None
        self._hosts: dict[str, None] = {}  # the plays' hosts, in order
        self._last_result: dict[str, datetime] = {}
        self._change: int | None = None
        self._change_given = False

    def set_options(self, task_keys=None, var_options=None, direct=None) -> None:
        super().set_options(task_keys=task_keys, var_options=var_options, direct=direct)
        self._url = (self.get_option("url") or "").rstrip("/")
        self._token = self.get_option("token") or ""
        self._gate = (self.get_option("gate") or "off").lower()
        if not self._url or not self._token:
            self._display.warning("changeportal: CHANGEPORTAL_URL and CHANGEPORTAL_TOKEN are needed; reporting is off.")
            self.disabled = True

    # --- HTTP -----------------------------------------------------------------------------------------------

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "changeportal-ansible-callback",
            **(extra or {}),
            "Authorization": f"Bearer {self._token}",
        }

    def _spool_dir(self) -> Path:
        return Path(os.path.expanduser(self.get_option("spool")))

    def _spool(self, url: str, headers: dict[str, str], body: dict) -> Path:
        directory = self._spool_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept = {name: value for name, value in headers.items() if name.lower() != "authorization"}
        record = {"url": url, "headers": kept, "body": body, "spooled_at": _iso(_now())}
        path = directory / f"{_now().strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}.json"
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps(record, indent=2))
        partial.chmod(0o600)
        partial.rename(path)
        return path

    def _flush_spool(self) -> None:
        """Send the reports earlier runs could not, oldest first; stop at the first the portal does not take."""
        directory = self._spool_dir()
        if not directory.is_dir():
            return
        for path in sorted(directory.glob("*.json")):
            try:
                record = json.loads(path.read_text())
                url, headers, body = record["url"], record["headers"], record["body"]
            except (OSError, ValueError, KeyError, TypeError):
                self._display.warning(f"changeportal: {path} is not a spooled report; left in place.")
                continue
            status, answer = send("POST", url, self._headers(headers), body, tries=1)
            if status is not None and 200 <= status < 300:
                path.unlink()
                self._display.display(f"changeportal: sent the spooled report {path.name}.")
            elif status is not None and status < 500 and status not in KEEP_STATUSES:
                path.unlink()
                self._display.warning(
                    f"changeportal: the portal refused the spooled report {path.name} (HTTP {status}: "
                    f"{_detail(answer)}); dropped it."
                )
            else:
                self._display.warning(f"changeportal: still cannot send the spooled reports in {directory}.")
                return

    # --- what the run is about ------------------------------------------------------------------------------

    def _named_change(self, play: Any) -> None:
        extra = play.get_variable_manager().extra_vars
        value = extra.get("changeportal_change") or self.get_option("change")
        if not value:
            return
        self._change_given = True
        self._change = parse_change(value)
        if self._change is None:
            self._display.warning(f"changeportal: {value!r} is not a change (use CHG-12 or 12); nothing is reported.")

    def _ask_gate(self) -> None:
        if self._gate not in ("enforce", "warn") or not self._change_given:
            return
        if self._change is None:
            reasons = ["The change named is not a change reference."]
        else:
            url = f"{self._url}/api/v1/changes/{self._change}/gate"
            status, answer = send("GET", url, self._headers(), None, tries=TRIES)
            if status == 200:
                decision = json.loads(answer)
                if decision.get("proceed"):
                    self._display.display(f"changeportal: the gate lets CHG-{self._change} proceed.")
                    return
                reasons = [str(reason) for reason in decision.get("reasons", [])] or ["The gate said no."]
            elif status is None:
                reasons = [f"The gate could not be asked: {self._url} is unreachable ({answer.decode()})."]
            else:
                reasons = [f"The gate could not be asked (HTTP {status}): {_detail(answer)}"]
        message = f"changeportal: CHG-{self._change} may not proceed:\n" + "\n".join(f"  - {r}" for r in reasons)
        if self._gate == "warn":
            self._display.warning(message + "\n(CHANGEPORTAL_GATE=warn: the run goes on.)")
            return
        self._display.error(message + "\n(CHANGEPORTAL_GATE=enforce: the run is stopped before any task.)")
        # The task queue turns any Exception a callback raises into a warning and goes on; SystemExit is let
        # through, and ansible-playbook's cleanup (finally blocks) still runs.
        sys.stdout.flush()
        raise SystemExit(REFUSED_EXIT_CODE)

    # --- callbacks ------------------------------------------------------------------------------------------

    def v2_playbook_on_start(self, playbook: Any) -> None:
        self._playbooks += 1
        self._reset(playbook=os.path.basename(getattr(playbook, "_file_name", "") or "playbook"))
        if not self._spool_flushed:
            self._spool_flushed = True
            self._flush_spool()

    def v2_playbook_on_play_start(self, play: Any) -> None:
        first = self._started_at is None
        if first:
            self._started_at = _now()
            self._named_change(play)
        try:
            hosts = play.get_variable_manager()._inventory.get_hosts(play.hosts)
        except Exception:  # noqa: BLE001 (the hosts seen in the recap are reported anyway)
            hosts = []
        for host in hosts:
            self._hosts.setdefault(host.get_name(), None)
        if first:
            self._ask_gate()

    def _seen(self, result: Any) -> None:
        self._last_result[result.host.get_name()] = _now()

    def v2_runner_on_ok(self, result: Any) -> None:
        self._seen(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._seen(result)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._seen(result)

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._seen(result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        if self._started_at is None:
            return
        if context.CLIARGS.get("check"):
            self._display.display("changeportal: check mode, nothing reported.")
            return
        if self._change_given and self._change is None:
            return
        body = self._report(stats)
        headers = self._headers({"Idempotency-Key": f"ansible-{self._run}-{self._playbooks}"})
        url = f"{self._url}/api/v1/change-events"
        status, answer = send("POST", url, headers, body, tries=TRIES)
        if status is not None and 200 <= status < 300:
            reference = json.loads(answer).get("reference", "")
            self._display.display(f"changeportal: reported to {reference or self._url}.")
            for warning in json.loads(answer).get("warnings", []):
                self._display.display(f"changeportal: {warning}")
        elif status is not None and status < 500 and status not in KEEP_STATUSES:
            self._display.warning(f"changeportal: the portal refused the report (HTTP {status}): {_detail(answer)}")
        else:
            why = "unreachable" if status is None else f"HTTP {status}"
            path = self._spool(url, headers, body)
            self._display.warning(
                f"changeportal: could not report to {self._url} ({why}, {TRIES} tries); "
                f"the report is kept in {path} and sent by the next run."
            )

    def _report(self, stats: Any) -> dict[str, Any]:
        ended = _now()
        names = list(self._hosts) + [name for name in sorted(stats.processed) if name not in self._hosts]
        recaps = {name: stats.summarize(name) for name in names}
        states = {name: host_state(recaps[name]) for name in names}
        failed = sorted(name for name, state in states.items() if state == "failed")
        hosts = [
            {"name": name, "state": states[name], "at": _iso(self._last_result.get(name, ended))} for name in names
        ]
        source = f"ansible-playbook {self._playbook}"
        outcome = f"{len(failed)} of {len(names)} hosts failed" if failed else f"{len(names)} hosts, none failed"
        lines = [recap_line(name, recaps[name]) for name in names]
        body: dict[str, Any] = {
            "hosts": hosts,
            "started_at": _iso(self._started_at or ended),
            "ended_at": _iso(ended),
            "status": "failed" if failed else "completed",
        }
        artifact = self.get_option("artifact")
        if artifact:
            body["artifact"] = artifact
        if self._change is not None:
            body["change"] = self._change
            summary = _fit(f"{source}: {outcome}. PLAY RECAP", lines)
            body["payload"] = {"summary": summary, "source": source}
        else:
            body["payload"] = {
                "summary": f"Ansible playbook {self._playbook} ({outcome})",
                "source": source,
                "custom_details": {"recap": lines},
            }
            body["kind"] = self.get_option("kind") or "config"
            environment = self.get_option("environment")
            if environment:
                body["environment"] = environment
        return body


def _fit(head: str, lines: list[str]) -> str:
    """The head and as many recap lines as payload.summary holds, then how many were left out."""
    text = head
    for index, line in enumerate(lines):
        rest = "" if index == len(lines) - 1 else f"\n… and {len(lines) - index - 1} more hosts"
        if len(text) + 1 + len(line) + len(rest) > MAX_SUMMARY:
            return (text + f"\n… and {len(lines) - index} more hosts")[:MAX_SUMMARY]
        text += "\n" + line
    return text
