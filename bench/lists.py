"""The list pages at 10,000 and 100,000 accounts: flat when their time does not grow with the table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_lists_bench .venv/bin/python bench/lists.py \
        [--sizes 10000 100000] [--portfolio 500] [--repeat 9] [--rounds 3] [--no-explain]

Each size has its own scratch database: the largest DATABASE_URL's, each other one beside it with
the size appended (kachi_lists_bench_10000), created if missing. For each size, generates the
accounts, journeys and achievements of bench/ttv_reports.py (reused when the database already holds
that many), the steps and step states of bench/portfolio.py, one customer member on every third
account (the member count a list row shows), and --portfolio accounts assigned to one CS manager.
Then measures, through django.test.Client in-process with DEBUG off, the server time (p50 and min
of --repeat, after one warm-up) and the query count of:

- /accounts/ as an admin: the first page, a deep page, a search, a segment and a status filter;
- /accounts/ as the CS manager (only their accounts);
- /api/v1/accounts/ as an admin and as the CS manager;
- /portfolio/ as the CS manager.

The sizes are measured in turn, each in its own process, --rounds times (the load of a shared
machine changes), and the best round of each is kept. Prints a table of both sizes with the ratio
(flat: <= 1.3x), and at the largest size (last round) the EXPLAIN (ANALYZE) of every statement of
each request that reads portal_account, showing the plan and the indexes it uses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench.portfolio as portfolio  # noqa: E402 - the steps, step states and portfolio assignment
import bench.ttv_reports as ttv_reports  # noqa: E402 - the generator of the accounts, journeys and achievements
from bench.scratch import load_average, scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = ttv_reports.PREFIX
MEMBER = f"{PREFIX}member-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--portfolio", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)  # one size, in its own process
    parser.add_argument("--explain", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = scratch_url("bench/lists.py", "measures the list pages on PostgreSQL", "kachi_lists_bench")
    sizes = sorted(args.sizes)
    if args.worker:
        setup_django(url, static=True)
        admin, csm = prepare(args.worker, args.portfolio)
        figures = measure(admin, csm, args.repeat, explain=args.explain)
        print(RESULT + json.dumps(figures))
        return

    # Each size in its own scratch database (the largest in DATABASE_URL's, the others beside it), so
    # that a run regenerates nothing, and the sizes measured in turn, --rounds times: the machine's
    # load changes while others work; the best round of each size is compared.
    results: dict[int, dict[str, list[float]]] = {}
    for number in range(args.rounds):
        for size in sizes:
            last = number == args.rounds - 1 and size == sizes[-1] and not args.no_explain
            print(
                f"\n=== {size:,} accounts, round {number + 1} of {args.rounds} (load {load_average()}) ===", flush=True
            )
            figures = run_worker(args, size_url(url, size, sizes), size, explain=last)
            for label, (p50, low, queries) in figures.items():
                best = results.setdefault(size, {}).get(label)
                if best is None or p50 < best[0]:
                    results[size][label] = [p50, low, queries]
    report(results, sizes)
    print(f"\nload average {load_average()}")


RESULT = "RESULT "


def size_url(url: str, size: int, sizes: list[int]) -> str:
    if size == sizes[-1]:
        return url
    parts = urlsplit(url)
    return parts._replace(path=f"{parts.path}_{size}").geturl()


def run_worker(args: argparse.Namespace, url: str, size: int, *, explain: bool) -> dict[str, list[float]]:
    command = [sys.executable, __file__, "--worker", str(size), "--portfolio", str(args.portfolio)]
    command += ["--repeat", str(args.repeat)] + (["--explain"] if explain else [])
    process = subprocess.run(
        command, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, check=False
    )
    figures = None
    for line in process.stdout.splitlines():
        if line.startswith(RESULT):
            figures = json.loads(line[len(RESULT) :])
        else:
            print(line)
    if process.returncode or figures is None:
        sys.exit(f"the measurement of {size:,} accounts failed:\n{process.stderr}")
    return figures


def prepare(size: int, portfolio_size: int):
    from django.db import connection

    from portal.models import Account, User

    if Account.objects.filter(slug__startswith=PREFIX).count() != size:
        print(f"generating {size:,} accounts", flush=True)
        with connection.cursor() as cursor:  # the generator deletes the bench accounts: their members first
            cursor.execute(
                "DELETE FROM portal_membership WHERE user_id IN (SELECT id FROM portal_user WHERE email LIKE %s)",
                [MEMBER + "%"],
            )
            cursor.execute("DELETE FROM portal_user WHERE email LIKE %s", [MEMBER + "%"])
        generator = ttv_reports.Bench(argparse.Namespace(accounts=size, months=24, repeat=1, keep=False, explain=False))
        generator.prepare()
    portfolio.add_steps()
    add_members()
    csm, _small = portfolio.assign(portfolio_size)
    admin = User.objects.get(email=f"{PREFIX}admin@kachi.example")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE portal_account, portal_membership, portal_user")
    return admin, csm


def add_members() -> None:
    """One customer member on every third bench account (unusable passwords)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM portal_user WHERE email LIKE %s", [MEMBER + "%"])
        if cursor.fetchone()[0]:
            return
        began = time.perf_counter()
        cursor.execute(
            """
            INSERT INTO portal_user (password, is_superuser, email, name, role, language, time_zone, is_active,
                                     date_joined)
            SELECT '!', false, %s || a.id || '@kachi.example', 'Member ' || a.id, 'customer', 'en', 'Asia/Tokyo',
                   true, now()
            FROM portal_account a WHERE a.slug LIKE %s AND a.id %% 3 = 0
            """,
            [MEMBER, PREFIX + "%"],
        )
        cursor.execute(
            """
            INSERT INTO portal_membership (user_id, account_id, role, title, created_at)
            SELECT u.id, substring(u.email FROM %s)::bigint, 'member', '', now()
            FROM portal_user u WHERE u.email LIKE %s
            """,
            [f"{MEMBER}([0-9]+)@", MEMBER + "%"],
        )
    print(f"members added in {time.perf_counter() - began:.1f} s")


def pages(admin, csm) -> list[tuple[str, object, str]]:
    return [
        ("admin /accounts/", admin, "/accounts/"),
        ("admin /accounts/?page=40", admin, "/accounts/?page=40"),
        ("admin /accounts/?q=bench 00042", admin, "/accounts/?q=bench+00042"),
        ("admin /accounts/?segment=smb", admin, "/accounts/?segment=smb"),
        ("admin /accounts/?status=churned", admin, "/accounts/?status=churned"),
        ("CSM /accounts/", csm, "/accounts/"),
        ("admin /api/v1/accounts/", admin, "/api/v1/accounts/"),
        ("admin /api/v1/accounts/?status=", admin, "/api/v1/accounts/?status=churned"),
        ("CSM /api/v1/accounts/", csm, "/api/v1/accounts/"),
        ("CSM /portfolio/", csm, "/portfolio/"),
    ]


def measure(admin, csm, repeat: int, *, explain: bool) -> dict[str, tuple[float, float, int]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from journeys.reports import rollup

    rollup.overview_refresh()  # the portfolio's expected first value reads the kept curves, as in production
    figures: dict[str, tuple[float, float, int]] = {}
    clients = {}
    for label, user, path in pages(admin, csm):
        client = clients.get(user.pk)
        if client is None:
            client = clients[user.pk] = Client()
            client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path, secure=True)
            queries = list(captured.captured_queries)  # read now: the request's end empties the log
        assert response.status_code == 200, (path, response.status_code)
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get(path, secure=True)
            times.append(time.perf_counter() - began)
        figures[label] = (statistics.median(times) * 1000, min(times) * 1000, len(queries))
        print(
            f"  {label:<36} p50 {figures[label][0]:7.1f} ms  min {figures[label][1]:7.1f} ms  {len(queries):3d} queries"
        )
        if explain:
            explain_queries(label, queries)
    return figures


def explain_queries(label: str, queries: list[dict]) -> None:
    """EXPLAIN (ANALYZE) of each statement of the request that reads the accounts table."""
    from django.db import connection

    for query in queries:
        sql = query["sql"]
        if "portal_account" not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        if 'FROM "portal_account"' not in sql and 'JOIN "portal_account"' not in sql:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY ON) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
        print(f"\n    EXPLAIN ANALYZE ({label}): {sql[:300]}{'…' if len(sql) > 300 else ''}")
        for line in plan:
            print(f"      {line}")
        print()


def report(results: dict[int, dict[str, list[float]]], sizes: list[int]) -> None:
    small, large = sizes[0], sizes[-1]
    print(
        f"\nserver time, p50 ms of the best round (min ms, queries): {small:,} → {large:,} accounts, "
        "ratio of the p50s (flat: <= 1.3x)"
    )
    for label in results[small]:
        a, b = results[small][label], results[large][label]
        ratio = b[0] / a[0] if a[0] else float("nan")
        verdict = "flat" if ratio <= 1.3 else "GROWS"
        print(
            f"  {label:<36} {a[0]:7.1f} ({a[1]:6.1f}, {a[2]:2.0f}) → {b[0]:7.1f} ({b[1]:6.1f}, {b[2]:2.0f})  "
            f"{ratio:5.2f}x  {verdict}"
        )


if __name__ == "__main__":
    main()
