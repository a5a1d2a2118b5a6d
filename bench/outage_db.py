"""A PostgreSQL restart under load: what the clients see, how long until they are served again, and
whether any usage event is lost or stored twice.

    .venv/bin/python bench/outage_db.py [--clients 4] [--seconds 30] [--restart-at 10] [--pg-port 55432]

Starts a private PostgreSQL cluster (initdb into a temporary folder, on --pg-port; the machine's
own server is never touched), migrates Kachi into it, loads the demo data and starts the app with
gunicorn as production runs it (DEBUG off, persistent connections with health checks). --clients
threads then loop over a help-centre page, an API read and a batch of one usage event (each event
id is new; a failed post is retried with the same id, so a duplicate would show), honouring
``Retry-After`` after a failure. At --restart-at seconds PostgreSQL restarts (``pg_ctl restart -m
fast``).

Prints, per client, the requests and the failed ones with their statuses (each should be a 503,
at most one per client), the seconds from the restart until every client was served again, and
the events lost (acknowledged but not stored) and duplicated (stored more than once): both 0.
Needs PostgreSQL's server programs (/usr/lib/postgresql/*/bin). Everything it starts is stopped
and its folder deleted at the end.
"""

# ruff: noqa: E402 - the path is set right before the imports (below)
from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py is named like the standard library's http package: with this folder on the path,
# ``import http.client`` (below) would find it.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import glob
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DATABASE = "kachi_outage_bench"
REQUEST_TIMEOUT = 15
RETRY_AFTER_MAX = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        sys.exit(f"bench/outage_db.py needs PostgreSQL's {name} (/usr/lib/postgresql/*/bin)")
    return found[-1]


class Cluster:
    """A throw-away PostgreSQL cluster in a temporary folder, run as the postgres user when this
    process is root (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self.as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = ["runuser", "-u", "postgres", "--", *args] if self.as_postgres else list(args)
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def pg_ctl(self, action: str, *extra: str) -> float:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
        started = time.monotonic()
        self._run(
            pg_bin("pg_ctl"), action, "-D", str(self.data), "-w", "-t", "60",
            "-l", str(self.folder / "server.log"), "-o", options, *extra,
        )  # fmt: skip
        return time.monotonic() - started

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class ClientTally:
    requests: int = 0
    failures: list[tuple[float, str, str]] = field(default_factory=list)  # (when, what, status)
    successes: list[float] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    retried_duplicates: int = 0
    unacknowledged: set[str] = field(default_factory=set)


def call(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple[str, dict, bytes]:
    """One request on a new connection: (status or error name, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return str(response.status), dict(response.getheaders()), response.read()
    except (OSError, http.client.HTTPException) as exc:
        return type(exc).__name__, {}, b""
    finally:
        conn.close()


def client_loop(number: int, port: int, api_key: str, stop_at: float, origin: float, tally: ClientTally) -> None:
    n = 0
    while time.monotonic() < stop_at:
        kind = ("page", "api", "event")[n % 3]
        event_id = f"bench-{number}-{n}"
        if kind == "page":
            request = ("GET", "/help/", None, {"Accept-Language": "en"})
        elif kind == "api":
            request = ("GET", "/api/v1/articles/", None, {"Accept": "application/json"})
        else:
            event = {
                "id": event_id,
                "account": "sakura-foods",
                "name": "bench_ping",
                "occurred_at": "2025-04-01T00:00:00Z",
            }
            headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
            request = ("POST", "/api/v1/events/", json.dumps([event]).encode(), headers)
        n += 1
        attempt = 0
        while True:
            status, headers, body = call(port, *request)
            tally.requests += 1
            now = time.monotonic() - origin
            if status == "200":
                tally.successes.append(now)
                if kind == "event":
                    result = json.loads(body)
                    tally.acknowledged.add(event_id)
                    tally.retried_duplicates += result["duplicates"]
                break
            tally.failures.append((now, kind, status))
            attempt += 1
            if time.monotonic() >= stop_at + 60:  # give up on this one: it was never acknowledged
                if kind == "event":
                    tally.unacknowledged.add(event_id)
                break
            try:
                wait = float(headers.get("Retry-After", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(wait, RETRY_AFTER_MAX))


def wait_for_http(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        status, _headers, _body = call(port, "GET", "/healthz", None, {})
        if status == "200":
            return
        time.sleep(0.2)
    sys.exit("the app did not become healthy in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clients load the app")
    parser.add_argument("--restart-at", type=float, default=10.0, help="seconds into the load")
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="kachi-outage-bench-"))
    cluster = Cluster(folder, args.pg_port)
    app_port = free_port()
    url = cluster.url(DATABASE)
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": "filesystem://",
        "BROKER_FOLDER": str(folder / "broker"),
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "LOG_LEVEL": "CRITICAL",
    }
    app: subprocess.Popen[bytes] | None = None
    try:
        cluster.init()
        cluster.pg_ctl("start")
        subprocess.run(
            ["runuser", "-u", "postgres", "--"] * cluster.as_postgres
            + [pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres", DATABASE],
            check=True,
        )
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        api_key = subprocess.run(
            [*manage, "shell", "-c", (
                "from journeys.events.services.api_keys import api_key_create\n"
                "print(api_key_create(name='outage bench', account=None, by=None)[1])"
            )],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]  # fmt: skip
        app = subprocess.Popen(
            [
                GUNICORN, "portal.wsgi", "-b", f"127.0.0.1:{app_port}", "-w", str(args.workers),
                "--threads", str(args.threads), "--log-level", "critical",
            ],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_http(app_port, time.monotonic() + 60)

        origin = time.monotonic()
        stop_at = origin + args.seconds
        tallies = [ClientTally() for _ in range(args.clients)]
        threads = [
            threading.Thread(target=client_loop, args=(i, app_port, api_key, stop_at, origin, tallies[i]))
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(args.restart_at)
        restart_began = time.monotonic() - origin
        restart_took = cluster.pg_ctl("restart", "-m", "fast")
        for thread in threads:
            thread.join()

        report(args, tallies, restart_began, restart_took, url)
    finally:
        if app is not None:
            app.terminate()
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
        cluster._run(pg_bin("pg_ctl"), "stop", "-D", str(cluster.data), "-m", "immediate", check=False)
        shutil.rmtree(folder, ignore_errors=True)


def report(args: argparse.Namespace, tallies: list[ClientTally], began: float, took: float, url: str) -> None:
    import psycopg

    print(f"{args.clients} clients for {args.seconds:.0f} s; PostgreSQL restarted at {began:.1f} s (took {took:.2f} s)")
    recovered = began
    ok = True
    for number, tally in enumerate(tallies):
        statuses = Counter(status for _when, _kind, status in tally.failures)
        shown = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items())) or "-"
        kinds = ", ".join(f"{kind}@{when:.1f}s" for when, kind, _status in tally.failures)
        print(f"client {number}: {tally.requests} requests, {len(tally.failures)} failed ({shown}) {kinds}")
        if tally.failures:
            last = tally.failures[-1][0]
            served = [when for when in tally.successes if when > last]
            recovered = max(recovered, served[0] if served else float("inf"))
        ok = ok and len(tally.failures) <= 1 and set(statuses) <= {"503"}
    print(f"recovered {recovered - began:.2f} s after the restart began (every client served again)")

    acknowledged = set().union(*(t.acknowledged for t in tallies))
    unacknowledged = set().union(*(t.unacknowledged for t in tallies))
    with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT external_id, count(*) FROM journeys_usageevent WHERE external_id LIKE 'bench-%%' GROUP BY 1"
        ).fetchall()
    stored = {external_id: count for external_id, count in rows}
    lost = sorted(acknowledged - set(stored))
    duplicated = sorted(eid for eid, count in stored.items() if count > 1)
    print(
        f"events: {len(acknowledged)} acknowledged, {len(stored)} stored, lost {len(lost)}, duplicated "
        f"{len(duplicated)}; {sum(t.retried_duplicates for t in tallies)} retries found their event already "
        f"stored; {len(unacknowledged)} never acknowledged"
    )
    ok = ok and not lost and not duplicated
    print(
        "targets met (≤ 1 failed request per client, each a 503; no event lost or duplicated)"
        if ok
        else "TARGETS MISSED"
    )


if __name__ == "__main__":
    main()
