"""Real Celery workers for the tests that need one: the command, the database they share with the
test, and whether the broker answers."""

from __future__ import annotations

import sys
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
