"""`changeportal`: argument parsing and exit codes. See the README's "Pipeline CLI"."""

from __future__ import annotations

import argparse
import os
import re
import sys

from changeportal_cli import __version__, commands
from changeportal_cli.api import USAGE, Client, CliError

DURATION = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
UNITS = {"h": 3600, "m": 60, "s": 1, "": 1}
EPILOG = """exit codes: 0 ok / may proceed; 10 not approved, 11 outside its window, 12 frozen, 13 other gate reason;
2 usage error or request refused (400); 3 auth (401/403); 4 not found; 5 portal unreachable, 5xx or timeout.
environment: CHANGEPORTAL_URL, CHANGEPORTAL_TOKEN (--url, --token override them)."""
RESULTS_FILE = """
results file (--from-file): {"hosts": {"web01": "applied", "web02": {"state": "failed", "at": "<ISO 8601>"}},
  "status": "completed", "note": "..."}, or just the hosts: ["web01", {"name": "web02", "state": "failed"}]"""


def duration(text: str) -> float:
    """``30m``, ``90s``, ``1h30m`` or plain seconds."""
    parts = DURATION.findall(text.strip().lower())
    if not text.strip() or "".join(number + unit for number, unit in parts) != text.strip().lower():
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 30s, 10m, 1h30m)")
    return sum(float(number) * UNITS[unit] for number, unit in parts)


def change_id(text: str) -> int:
    """``CHG-12``, ``chg-12`` or ``12``."""
    match = re.fullmatch(r"(?:chg-)?(\d+)", text.strip(), flags=re.IGNORECASE)
    if not match or int(match.group(1)) < 1:
        raise argparse.ArgumentTypeError(f"not a change: {text!r} (e.g. CHG-12 or 12)")
    return int(match.group(1))


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument("--url", default=os.environ.get("CHANGEPORTAL_URL"), help="Portal URL ($CHANGEPORTAL_URL).")
    group.add_argument("--token", default=os.environ.get("CHANGEPORTAL_TOKEN"), help="API token ($CHANGEPORTAL_TOKEN).")
    group.add_argument("--timeout", type=duration, default=10.0, help="Per request (default 10s).")
    group.add_argument("--json", action="store_true", help="Print the portal's JSON answer instead of a summary.")
    return common


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="changeportal",
        description="ChangePortal from a pipeline: gate a deployment, report what ran, record unplanned changes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = root.add_subparsers(dest="command", metavar="{gate,report,event}", required=True)
    common = [_common()]
    shape = argparse.RawDescriptionHelpFormatter

    gate = sub.add_parser(
        "gate", parents=common, help="May this change proceed now?", epilog=EPILOG, formatter_class=shape
    )
    gate.add_argument("change", type=change_id, help="CHG-12 or 12.")
    gate.add_argument("--at", help="Ask about this instant instead of now (ISO 8601).")
    gate.add_argument("--wait", type=duration, default=0.0, help="Keep asking this long (e.g. 30m) until it may.")
    gate.add_argument("--interval", type=duration, default=30.0, help="Between checks with --wait (default 30s).")
    gate.set_defaults(run=commands.gate)

    report = sub.add_parser(
        "report",
        parents=common,
        help="Report the execution of a planned change: per-host states.",
        epilog=EPILOG + RESULTS_FILE,
        formatter_class=shape,
    )
    report.add_argument("change", type=change_id, help="CHG-12 or 12.")
    report.add_argument("--host", action="append", help="A host it ran on (repeatable, or comma-separated).")
    report.add_argument("--state", choices=commands.STATES, default="applied", help="Their state (default applied).")
    report.add_argument("--from-file", metavar="PATH", help="Per-host results as JSON (see below; - for stdin).")
    report.add_argument("--status", choices=("completed", "failed", "in_progress"), help="Default: from --state.")
    report.add_argument("--note", help="What happened (kept with each host's state).")
    report.add_argument("--source", default="changeportal-cli", help="Who reports (e.g. the CI job URL).")
    report.add_argument("--dedup-key", help="Retries of the same key record nothing (default: one per call).")
    report.set_defaults(run=commands.report)

    event = sub.add_parser(
        "event", parents=common, help="Record an unplanned change.", epilog=EPILOG, formatter_class=shape
    )
    event.add_argument("--summary", required=True, help="What changed (the change's title).")
    event.add_argument("--hosts", action="append", help="Hosts, comma-separated (repeatable).")
    event.add_argument("--environment", help="Environment slug (e.g. prod).")
    event.add_argument("--kind", help="e.g. release, config, infra.")
    event.add_argument("--artifact", help="e.g. billing 2.4.0.")
    event.add_argument("--service", action="append", help="A service name (repeatable).")
    event.add_argument("--status", choices=("completed", "failed", "in_progress"), default="completed")
    event.add_argument("--dedup-key", help="Retries of the same key record nothing (default: one per call).")
    event.add_argument("--link", action="append", help="A URL to link, e.g. the build (repeatable).")
    event.add_argument("--source", default="changeportal-cli", help="Who sends it (e.g. the CI job URL).")
    event.set_defaults(run=commands.event)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)  # exits 2 with argparse's message on a usage error
    try:
        if not args.url:
            raise CliError("No portal URL: set CHANGEPORTAL_URL or pass --url.", USAGE)
        if not args.token:
            raise CliError("No API token: set CHANGEPORTAL_TOKEN or pass --token.", USAGE)
        return args.run(Client(args.url, args.token, timeout=args.timeout), args)
    except CliError as error:
        print(f"changeportal: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
