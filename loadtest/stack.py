"""The real stack as child processes: gunicorn, Celery workers and a private redis-server.

Used by the load run (``python -m loadtest``) and by the fault tests (tests/faults/). Every process is
started in its own session and stopped through its process group, so nothing outlives its ``with`` block.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
__all__ = ["BASE_DIR", "Gunicorn", "Process", "Worker", "app_env", "free_port", "gunicorn", "redis_server"]
__all__ += ["wait_until", "worker"]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"Gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(*, database_url: str, redis_url: str | None, secret_key: str | None = None, **extra: str) -> dict:
    """The environment of a child process: this one's, pointed at the given database and Redis (or none)."""
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env |= {"DATABASE_URL": database_url, "SECRET_KEY": secret_key or secrets.token_urlsafe(40)}
    env.setdefault("DEBUG", "false")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env | extra


class Process:
    """A child process in its own session (so its whole group can be signalled), with its output in a log."""

    def __init__(self, command: list[str], *, env: dict, log: Path):
        self.log = log
        with open(log, "ab") as output:
            self.popen = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL the whole group at once: no shutdown handlers run, like a machine losing power."""
        if self.popen.returncode is None:  # not reaped: the group id cannot belong to anyone else yet
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM to the main process only: gunicorn and Celery then shut down gracefully, letting their
        children finish what they are doing (a signal to the whole group would cut those short)."""
        if not self.alive():
            # The main process died on its own: its workers may still run in its group. Its group id cannot be
            # reused while they do, so signalling the group reaches only them.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()  # the main process is not reaped yet, so the group id is still ours

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def check_alive(self, what: str) -> None:
        if not self.alive():
            raise RuntimeError(f"{what} exited with {self.popen.returncode}; its output:\n{self.output()[-3000:]}")


def _answers(port: int) -> bool:
    """Any HTTP answer from /healthz: 503 ("degraded", e.g. while Redis is down) still means it serves."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status in (200, 503)
    except OSError:
        return False


class Gunicorn(Process):
    """gunicorn serving ChangePortal on a free loopback port; started at once, ``wait_ready()`` before use."""

    def __init__(self, env: dict, *, log: Path, workers: int = 1, threads: int = 1):
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "changeportal.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads)]
        super().__init__(command + ["--timeout", "60", "--log-level", "warning"], env=env, log=log)

    def wait_ready(self, timeout: float = 90) -> int:
        def up() -> bool:
            self.check_alive("gunicorn")
            return _answers(self.port)

        wait_until(up, timeout=timeout, what=f"gunicorn on port {self.port} (log: {self.log})", interval=0.2)
        return self.port


class Worker(Process):
    """A Celery worker (with the beat scheduler embedded when ``beat``); ``wait_ready()`` before relying on it."""

    def __init__(self, env: dict, *, log: Path, pool: str = "solo", concurrency: int = 1, beat: bool = False):
        command = [sys.executable, "-m", "celery", "-A", "changeportal", "worker", "--loglevel=INFO"]
        command += ["--pool", pool, "--concurrency", str(concurrency), "--without-gossip", "--without-mingle"]
        command += ["--hostname", f"stack-{secrets.token_hex(3)}@%h"]
        if beat:
            command += ["--beat", "--schedule", str(log.with_suffix(".beat-schedule"))]
        self._offset = log.stat().st_size if log.exists() else 0
        super().__init__(command, env=env, log=log)

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            self.check_alive("celery worker")
            return " ready." in self.output()[self._offset :]

        wait_until(ready, timeout=timeout, what=f"the Celery worker (log: {self.log})", interval=0.2)


@contextmanager
def gunicorn(env: dict, *, log: Path, workers: int = 1, threads: int = 1) -> Iterator[int]:
    """gunicorn serving ChangePortal, ready; yields its port."""
    with Gunicorn(env, log=log, workers=workers, threads=threads) as server:
        yield server.wait_ready()


@contextmanager
def worker(env: dict, *, log: Path, pool: str = "solo", concurrency: int = 1, beat: bool = False) -> Iterator[Worker]:
    """A Celery worker, ready to consume."""
    with Worker(env, log=log, pool=pool, concurrency=concurrency, beat=beat) as process:
        process.wait_ready()
        yield process


@contextmanager
def redis_server(port: int, *, log: Path, timeout: float = 30) -> Iterator[Process]:
    """A private, empty, non-persistent redis-server on ``port`` (never the shared one)."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = Process(command, env=dict(os.environ), log=log)
    try:

        def ready() -> bool:
            process.check_alive("redis-server")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                return False

        wait_until(ready, timeout=timeout, what=f"redis-server on port {port}")
        yield process
    finally:
        process.stop()
