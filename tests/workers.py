"""Real Celery workers for the tests that need one: the command, the database they share with the
test, and whether the broker answers."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

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
