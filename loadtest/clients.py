"""Load clients: threads on keep-alive http.client connections (loopback only), each signed in with its own
session for the calendar page and sharing one API token for the API. Requests say X-Forwarded-Proto: https,
as the TLS-terminating proxy in front of a production gunicorn does (the app redirects plain HTTP).

Each client repeats: every other round submit a planned change through the API (its outbox event and
notification are the Celery worker's work), then post a change event (a unique dedup key), read the suspects
of a host, post another event, read the calendar week page. Every answer is timed and counted per kind.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from bench.measure import Stats

EVENTS = "/api/v1/change-events"
BATCH = "/api/v1/change-events/batch"
BATCH_SIZE = 10
KINDS = ("post event", "post batch", "suspects", "calendar week", "submit change")


@dataclass
class KindStats:
    latency: Stats = field(default_factory=Stats)
    server_errors: int = 0  # 5xx
    other_failures: int = 0  # an unexpected status, or no answer at all
    first_failure: str = ""


@dataclass
class Outcome:
    seconds: float = 0.0
    kinds: dict[str, KindStats] = field(default_factory=lambda: {kind: KindStats() for kind in KINDS})
    acknowledged: list[str] = field(default_factory=list)  # dedup keys of events answered 202

    @property
    def requests(self) -> int:
        return sum(stats.latency.n for stats in self.kinds.values())

    @property
    def server_errors(self) -> int:
        return sum(stats.server_errors for stats in self.kinds.values())

    @property
    def other_failures(self) -> int:
        return sum(stats.other_failures for stats in self.kinds.values())


class Client:
    def __init__(self, port: int, number: int, seeded: dict, run_id: str, outcome: Outcome, lock: threading.Lock):
        self.port, self.number, self.seeded, self.run_id = port, number, seeded, run_id
        self.outcome, self.lock = outcome, lock
        self.random = random.Random(f"{run_id}-{number}")
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.sent = 0

    def _send(self, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int, bytes]:
        headers = headers | {"X-Forwarded-Proto": "https"}
        if method == "POST":
            headers["Referer"] = f"https://127.0.0.1:{self.port}/login/"  # CSRF checks it on HTTPS
        if self.cookies:
            headers = headers | {"Cookie": "; ".join(f"{key}={value}" for key, value in self.cookies.items())}
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # reconnects on the next request
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies |= {key: morsel.value for key, morsel in SimpleCookie(header).items()}
        return response.status, content

    def login(self) -> None:
        self._send("GET", "/login/", None, {})
        form = {"username": self.seeded["usernames"][self.number], "password": self.seeded["password"]}
        form["csrfmiddlewaretoken"] = self.cookies.get("csrftoken", "")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, content = self._send("POST", "/login/", urlencode(form).encode(), headers)
        if status != 302:
            raise RuntimeError(f"Load client {self.number} could not log in: {status} {content[:300]!r}")

    def _timed(
        self, kind: str, method: str, path: str, body: dict | None, expected: int, answer: list | None = None
    ) -> bool:
        headers = {"Authorization": f"Bearer {self.seeded['token']}"} if path.startswith("/api/") else {}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        started = time.perf_counter()
        try:
            status, content = self._send(method, path, data, headers)
            problem = "" if status == expected else f"HTTP {status}: {content[:300]!r}"
            if answer is not None and not problem:
                answer.append(content)
        except (OSError, http.client.HTTPException) as exc:
            status, problem = None, f"{exc.__class__.__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            stats = self.outcome.kinds[kind]
            stats.latency.samples.append(elapsed)
            if status is not None and status >= 500:
                stats.server_errors += 1
            elif problem:
                stats.other_failures += 1
            if problem and not stats.first_failure:
                stats.first_failure = f"{method} {path}: {problem}"
        return not problem

    def _event(self) -> tuple[str, dict]:
        key = f"load-{self.run_id}-{self.number}-{self.sent}"
        self.sent += 1
        hosts = self.random.sample(self.seeded["hosts"], 2)
        event = {
            "routing_key": self.seeded["service"],
            "dedup_key": key,
            "payload": {"summary": f"Load event {key}", "source": "loadtest"},
            "hosts": hosts,
            "environment": "prod",
            "kind": "release",
        }
        return key, event

    def post_event(self) -> None:
        key, event = self._event()
        if self._timed("post event", "POST", EVENTS, event, 202):
            with self.lock:
                self.outcome.acknowledged.append(key)

    def post_batch(self) -> None:
        """A batch of events; each one answered 202 in its result counts as acknowledged (and must be stored)."""
        keyed = [self._event() for _ in range(BATCH_SIZE)]
        answer: list[bytes] = []
        if self._timed("post batch", "POST", BATCH, {"events": [event for _key, event in keyed]}, 200, answer):
            results = json.loads(answer[0])["results"]
            accepted = [keyed[item["index"]][0] for item in results if item["status"] == 202]
            refused = [item for item in results if item["status"] != 202]
            with self.lock:
                self.outcome.acknowledged.extend(accepted)
                if refused:  # a 200 batch with refused events is a failure too, not a quiet loss
                    stats = self.outcome.kinds["post batch"]
                    stats.other_failures += 1
                    stats.first_failure = stats.first_failure or f"POST {BATCH}: event refused: {refused[0]}"

    def suspects(self) -> None:
        host = self.random.choice(self.seeded["hosts"])
        self._timed("suspects", "GET", f"/api/v1/hosts/{host}/suspects", None, 200)

    def calendar(self) -> None:
        self._timed("calendar week", "GET", "/calendar/?view=week", None, 200)

    def submit_change(self) -> None:
        # Spread over the coming weeks, so the calendar's current week is not what grows.
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=self.random.randint(8, 60))
        change = {
            "title": f"Load change {self.run_id}-{self.number}-{self.sent}",
            "environment": "prod",
            "team": self.seeded["team"],
            "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(hours=1)).isoformat(),
            "backout_plan": "Redeploy the previous version.",
            "hosts": self.random.sample(self.seeded["hosts"], 2),
            "submit": True,
        }
        self._timed("submit change", "POST", "/api/v1/changes", change, 201)

    def run(self, deadline: float) -> None:
        steps = [self.post_event, self.suspects, self.post_batch, self.post_event, self.calendar]
        rounds = 0
        while time.monotonic() < deadline:
            for step in ([self.submit_change] if rounds % 2 == 0 else []) + steps:
                if time.monotonic() >= deadline:
                    break
                step()
            rounds += 1
        self.connection.close()


def run_clients(port: int, seeded: dict, *, clients: int, seconds: float, run_id: str) -> Outcome:
    outcome, lock = Outcome(), threading.Lock()
    workers = [Client(port, number, seeded, run_id, outcome, lock) for number in range(clients)]
    for client in workers:
        client.login()
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=client.run, args=(deadline,), daemon=True) for client in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome.seconds = time.monotonic() - started
    return outcome
