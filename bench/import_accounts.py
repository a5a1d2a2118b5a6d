"""Importing 100,000 accounts from one CSV file, in the background task, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_bench \
        .venv/bin/python bench/import_accounts.py [--rows 100000]

Writes a Japanese Excel file (CP932, a Japanese header) of --rows new accounts, uploads it
(``import_create``), does the dry run, then runs the import through its Celery task (eager, in this
process, as the outbox hands it over at the commit). The run is done in a process of its own, as a
worker would, whose peak memory (its maximum resident set, Django included) is the one measured.
Then imports the same file again (every row unchanged) and rolls the first import back, which
deletes the accounts it created: the database is left as it was. Prints the time of each step.
Targets: the run within 5 minutes, within 500 MB.
The database is created if missing and migrated; DEBUG is off, as in production.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import setup_django  # noqa: E402 - beside this script

TARGET_SECONDS = 5 * 60
TARGET_MB = 500


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def export(rows: int, segment: str, csm: str) -> bytes:
    lines = ["取引先ID,取引先名,ウェブサイト,セグメント,プラン,契約開始日,投資額,担当CSM"]
    plans = ["Starter", "Growth", "Business", "Enterprise"]
    for n in range(rows):
        lines.append(
            f"BENCH-{n:07d},株式会社ベンチ{n},https://www.bench{n}.example/,{segment},{plans[n % 4]},"
            f'2026/{n % 12 + 1:02d}/{n % 28 + 1:02d},"{(n % 50) * 100_000:,}",{csm if n % 3 == 0 else ""}'
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)  # the worker's part: this import
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/import_accounts.py: set DATABASE_URL to a PostgreSQL database, e.g. .../kachi_bench")
    setup_django(url)
    from django.db import transaction

    from portal import imports
    from portal.celery import app
    from portal.models import Account, AccountImport, Segment, User

    app.conf.task_always_eager = True
    if args.run is not None:
        worker(args.run)
        return
    segment, _ = Segment.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    admin, _ = User.objects.get_or_create(email="bench-admin@kachi.example", defaults={"role": User.Role.ADMIN})
    csm, _ = User.objects.get_or_create(email="bench-csm@kachi.example", defaults={"role": User.Role.CSM})
    before = Account.objects.count()

    data = export(args.rows, segment.name, csm.email)
    print(f"file: {args.rows:,} rows, {len(data) / 1024 / 1024:.1f} MB (CP932)")

    def step(label: str, work):
        started = time.perf_counter()
        result = work()
        print(f"{label:<22} {time.perf_counter() - started:7.1f} s   peak memory so far {peak_mb():6.0f} MB")
        return result

    def upload() -> AccountImport:
        return imports.import_create(file_name="bench.csv", data=data, by=admin)

    def run(account_import: AccountImport) -> AccountImport:
        with transaction.atomic():
            imports.import_start(account_import=account_import)  # the task runs at the commit
        account_import.refresh_from_db()
        return account_import

    def run_in_worker(account_import: AccountImport) -> dict:
        # Queued as import_start queues it; the task itself runs in a process of its own.
        AccountImport.objects.filter(pk=account_import.pk).update(status=AccountImport.Status.QUEUED)
        out = subprocess.run(
            [sys.executable, __file__, "--run", str(account_import.pk)], capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    first = step("upload", upload)
    checked = step("dry run", lambda: imports.import_check(account_import=first))
    print(f"  dry run counts: {checked.counts.as_dict()}")
    measured = run_in_worker(first)
    import_seconds, import_peak = measured["seconds"], measured["peak_mb"]
    done = AccountImport.objects.get(pk=first.pk)
    print(f"{'import (task, worker)':<22} {import_seconds:7.1f} s   peak memory of the worker {import_peak:6.0f} MB")
    print(f"  result: {done.result}, status {done.status} {done.failure}")

    second = upload()
    imports.import_check(account_import=second)
    again = step("import again (task)", lambda: run(second))
    print(f"  result: {again.result}")
    undone = step("roll back the first", lambda: imports.import_rollback(account_import=done))
    print(f"  rolled back: {undone}")
    AccountImport.objects.filter(pk__in=[first.pk, second.pk]).delete()
    left = Account.objects.count() - before
    print(f"accounts left behind: {left}")
    ok = import_seconds <= TARGET_SECONDS and import_peak <= TARGET_MB
    print(
        f"import of {args.rows:,} rows: {import_seconds:.1f} s (target ≤ {TARGET_SECONDS} s), "
        f"peak memory {import_peak:.0f} MB (target ≤ {TARGET_MB} MB): {'OK' if ok else 'MISSED'}"
    )


def worker(import_id: int) -> None:
    """Run the import's Celery task here (eagerly) and print its time and this process's peak memory."""
    from portal.tasks import account_import_run

    started = time.perf_counter()
    account_import_run.apply(args=[import_id]).get()
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_mb": peak_mb()}))


if __name__ == "__main__":
    main()
