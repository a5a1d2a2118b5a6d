"""Real Celery workers for the tests that need one: the command, the database they share with the
test, whether the broker answers, and a pool of workers to start and kill."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from kombu import Connection


def worker_command(name: str, *, loglevel: str = "WARNING") -> list[str]:
    """A ``celery worker`` in one process (solo pool), named ``name`` (unique per test run)."""
    return [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", f"--loglevel={loglevel}",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h",
    ]  # fmt: skip


def database_url_for_worker() -> str:
    """The URL of the test database this process is using, for a worker in another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_reachable(url: str) -> bool:
    if url.startswith("filesystem://"):
        return True
    try:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception:
        return False
    return True


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def broker_at(url: str, *, eager: bool = False) -> Iterator[None]:
    """This process publishes to ``url`` (not running tasks in-process unless ``eager``), then as before."""
    from django.conf import settings
    from kombu import pools

    from portal import celery_app

    conf = celery_app.conf
    # The write URL: the broker URL is read from the environment first, when it is set there.
    saved = conf.get("broker_write_url"), conf.task_always_eager, conf.broker_transport_options

    def reconnect() -> None:
        # The app keeps its connections and producers: drop them, so the next publish uses the new URL.
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.broker_write_url, conf.task_always_eager = url, eager
    if not url.startswith("filesystem://"):
        conf.broker_transport_options = settings.BROKER_NETWORK_OPTIONS
    reconnect()
    try:
        yield
    finally:
        conf.broker_write_url, conf.task_always_eager, conf.broker_transport_options = saved
        reconnect()


# --- A pool of real workers, for the tests that kill one ---------------------------------------


def require_postgres_and_redis() -> None:
    """Skip (or, with KACHI_REQUIRE_SERVICES=1, fail) unless the tests run on PostgreSQL and Redis."""
    from django.conf import settings

    from tests.conftest import need_service

    broker = settings.CELERY_BROKER_URL
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        need_service("this worker test needs PostgreSQL (DATABASE_URL=postgres://…)")
    if not broker.startswith("redis://"):
        need_service("this worker test needs Redis (CELERY_BROKER_URL=redis://…)")
    if not broker_reachable(broker):
        need_service(f"broker {broker} is not reachable")


class WorkerPool:
    """Real ``celery worker`` processes against the test database, writing e-mails to files."""

    def __init__(self, name: str, mail_dir: Path, log_dir: Path) -> None:
        self.name = name
        self.mail_dir = mail_dir
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        from django.conf import settings

        index = len(self.processes)
        log = (self.log_dir / f"worker-{index}.log").open("w")
        process = subprocess.Popen(
            worker_command(f"{self.name}-{os.getpid()}-{index}"),
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "portal.test_settings",
                "DATABASE_URL": database_url_for_worker(),
                "KACHI_TEST_EMAIL_DIR": str(self.mail_dir),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.log_dir.glob("*.log")))

    def mailed(self, header: re.Pattern[str]) -> Counter[str]:
        """How often each reference ``header`` finds was e-mailed."""
        found: Counter[str] = Counter()
        for path in self.mail_dir.iterdir():
            found.update(header.findall(path.read_text()))
        return found

    def wait_for(self, condition: Callable[[], bool], what: str, *, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; worker logs:\n{self.logs()}")
            time.sleep(0.05)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def worker_pool(name: str, tmp_path: Path) -> Iterator[WorkerPool]:
    """Workers to start at will; this process publishes to the broker meanwhile (not running tasks
    in-process). The queue is emptied before and after: re-queued copies of tasks already done are
    no-ops, but would delay the next test's workers."""
    from portal import celery_app

    (tmp_path / "mail").mkdir()
    (tmp_path / "logs").mkdir()
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    pool = WorkerPool(name, tmp_path / "mail", tmp_path / "logs")
    try:
        yield pool
    finally:
        pool.stop()
        celery_app.control.purge()
        celery_app.conf.task_always_eager = True
