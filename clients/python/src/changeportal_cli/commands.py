"""The three commands: gate (may it proceed?), report (what ran where), event (an unplanned change)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

from changeportal_cli.api import NOT_FOUND, OK, UNAVAILABLE, USAGE, Client, CliError

# Exit codes of a change that may not proceed, by the gate's first reason's code.
GATE_EXIT = {"not_approved": 10, "outside_window": 11, "frozen": 12}
GATE_OTHER = 13
STATES = ("applied", "failed", "skipped", "rolled_back", "pending")
# The event status a report implies when it gives none: what the hosts' state says about the change.
STATUS_FOR_STATE = {"failed": "failed", "rolled_back": "failed", "pending": "in_progress"}
FILE_KEYS = {"hosts", "status", "note", "started_at", "ended_at"}


def _out(args, answer: Any, line: str) -> None:
    print(json.dumps(answer) if args.json else line, flush=True)


def gate_exit_code(answer: dict) -> int:
    if answer.get("proceed"):
        return OK
    codes = answer.get("codes") or []
    return GATE_EXIT.get(codes[0], GATE_OTHER) if codes else GATE_OTHER


def _gate_line(answer: dict) -> str:
    reference = answer.get("reference", "?")
    if answer.get("proceed"):
        return f"{reference} may proceed ({answer.get('status')}, at {answer.get('at')})."
    codes = ", ".join(answer.get("codes") or ["blocked"])
    return f"{reference} may not proceed ({codes}): {' '.join(answer.get('reasons') or [])}"


def gate(client: Client, args) -> int:
    """One check, or with --wait one check every --interval until it may proceed or the time is up."""
    query = {"at": args.at} if args.at else None
    deadline = time.monotonic() + args.wait
    while True:
        try:
            answer = client.get(f"/changes/{args.change}/gate", query)
            code = gate_exit_code(answer)
            _out(args, answer, _gate_line(answer))
        except CliError as error:
            if error.exit_code == NOT_FOUND:
                raise CliError(f"CHG-{args.change} not found ({error.message}).", NOT_FOUND) from None
            if error.exit_code != UNAVAILABLE or not args.wait:
                raise
            code = UNAVAILABLE  # a portal that is down for a moment is asked again at the next poll
            print(f"changeportal: error: {error.message}", file=sys.stderr, flush=True)
        left = deadline - time.monotonic()
        if code == OK or left <= 0:
            break
        time.sleep(min(args.interval, left))
    if code != OK and args.wait:
        print(f"changeportal: gave up after {args.wait:g} s: CHG-{args.change} still may not proceed.", file=sys.stderr)
    return code


def _post_event(client: Client, args, body: dict) -> int:
    # One key per invocation: the client's retries (and any resend of this same call) record nothing twice.
    key = args.dedup_key or f"changeportal-cli-{uuid.uuid4()}"
    try:
        answer = client.post("/change-events", body, idempotency_key=key)
    except CliError as error:
        if error.exit_code == USAGE and isinstance(error.body, dict) and "change" in error.body:
            raise CliError(error.message, NOT_FOUND) from None
        raise
    _out(args, answer, answer.get("reference") or f"CHG-{answer.get('change')}")
    if not args.json:
        if answer.get("duplicate"):
            print(f"note: already recorded with the key {answer.get('dedup_key')}: nothing new.", file=sys.stderr)
        for warning in answer.get("warnings") or []:
            print(f"warning: {warning}", file=sys.stderr)
    return OK


def _host_item(name: Any, value: Any, where: str) -> dict:
    """``web01`` → {"name"}, ``"failed"`` → {"state"}, ``{"state", "at"}`` kept; anything else is a usage error."""
    if not isinstance(name, str) or not name.strip():
        raise CliError(f"{where}: a host needs a name.", USAGE)
    if value is None:
        return {"name": name}
    if isinstance(value, str):
        value = {"state": value}
    if not isinstance(value, dict) or not set(value) <= {"state", "at"}:
        raise CliError(f'{where}: give a state or an object {{"state": …, "at": …}} for {name}.', USAGE)
    return {"name": name, **value}


def read_results(path: str) -> dict:
    """A results file: ``{"hosts": {name: state | {"state", "at"}} | [name | {"name", "state", "at"}], "status":
    …, "note": …, "started_at": …, "ended_at": …}``, or just the list of hosts. ``-`` reads standard input."""
    try:
        if path == "-":
            document = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
    except (OSError, ValueError) as error:
        raise CliError(f"Cannot read {path}: {error}", USAGE) from None
    if isinstance(document, list):
        document = {"hosts": document}
    if not isinstance(document, dict) or not set(document) <= FILE_KEYS:
        keys = ", ".join(sorted(FILE_KEYS))
        raise CliError(f"{path}: expected a list of hosts or an object with only {keys}.", USAGE)
    hosts = document.get("hosts") or []
    if isinstance(hosts, dict):
        items = [_host_item(name, value, path) for name, value in hosts.items()]
    elif isinstance(hosts, list):
        items = [
            _host_item(host.get("name"), {k: v for k, v in host.items() if k != "name"} or None, path)
            if isinstance(host, dict)
            else _host_item(host, None, path)
            for host in hosts
        ]
    else:
        raise CliError(f"{path}: hosts must be an object (name → state) or a list.", USAGE)
    return {**document, "hosts": items}


def split_hosts(values: list[str] | None) -> list[str]:
    return [name.strip() for value in values or [] for name in value.split(",") if name.strip()]


def report(client: Client, args) -> int:
    """The execution report of a planned change: per-host states (flags and/or a file), its status, a note."""
    results = read_results(args.from_file) if args.from_file else {"hosts": []}
    hosts = [{"name": name, "state": args.state} for name in split_hosts(args.host)] + results["hosts"]
    if not hosts:
        raise CliError("Name the hosts: --host web01 (repeatable) or --from-file results.json.", USAGE)
    status = args.status or results.get("status") or STATUS_FOR_STATE.get(args.state, "completed")
    note = args.note or results.get("note") or f"Reported by the changeportal CLI: {args.state}."
    body = {"change": args.change, "payload": {"summary": note, "source": args.source}, "hosts": hosts}
    body["status"] = status
    body.update({key: results[key] for key in ("started_at", "ended_at") if results.get(key)})
    return _post_event(client, args, body)


def event(client: Client, args) -> int:
    """Records an unplanned change (one that no planned change covers)."""
    body: dict[str, Any] = {
        "payload": {"summary": args.summary, "source": args.source},
        "hosts": split_hosts(args.hosts),
        "status": args.status,
    }
    optional = {"environment": args.environment, "kind": args.kind, "artifact": args.artifact}
    body.update({key: value for key, value in optional.items() if value})
    if args.service:
        body["services"] = args.service
    if args.link:
        body["links"] = [{"href": link} for link in args.link]
    return _post_event(client, args, body)
