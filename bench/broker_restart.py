"""Redis restarted while a worker sends 1,000 nudges: every nudge is sent, and how fast work resumes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_restart_bench .venv/bin/python bench/broker_restart.py

Needs PostgreSQL (a scratch database whose name contains "bench"; created if missing and migrated)
and ``redis-server``: the script starts its own on a free port (without persistence, so a restart
loses every queued message, the worst case) and never touches any other Redis. One real worker
(solo pool) sends the nudges; after ``--restart-after`` are sent, Redis is stopped and started again
empty. The worker reconnects by itself; the nudges whose messages were lost are queued again as the
nudge scan does for lost ones, through the outbox, whose sweep publishes what the broker refused
meanwhile. Prints: sent, e-mails, duplicates, seconds from Redis back to the first nudge sent after
it, whether the same worker process went on, and the total time.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import ensure_database, scratch_url  # noqa: E402 - beside this script

HEADER = re.compile(r"^X-Kachi-Notification: (nudge-\d+)\s*$", re.MULTILINE)


def free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_start(port: int, log: Path) -> subprocess.Popen:
    server = shutil.which("redis-server") or "redis-server"
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=log.open("a"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    sys.exit(f"redis-server did not start on port {port}; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nudges", type=int, default=1000)
    parser.add_argument("--restart-after", type=int, default=150, help="nudges sent before Redis restarts")
    parser.add_argument("--down-seconds", type=float, default=3.0)
    parser.add_argument("--deadline", type=float, default=180.0)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("bench/broker_restart.py needs redis-server (apt-get install redis-server)")

    url = scratch_url("bench/broker_restart.py", "restarts its own Redis under a worker", "kachi_restart_bench")
    ensure_database(url)
    work = Path(tempfile.mkdtemp(prefix="kachi-restart-bench-"))
    (work / "mail").mkdir()
    port = free_port(56379)
    broker = f"redis://127.0.0.1:{port}/0"
    redis = redis_start(port, work / "redis.log")
    os.environ.update(
        DATABASE_URL=url,
        CELERY_BROKER_URL=broker,
        DJANGO_SETTINGS_MODULE="portal.test_settings",  # e-mails to files, as the worker tests do
        KACHI_TEST_EMAIL_DIR=str(work / "mail"),
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from journeys.automation.models import AutomationSettings, Nudge
    from journeys.automation.services.nudges import nudges_scan
    from journeys.onboarding.models import Playbook, Step
    from journeys.onboarding.services.journeys import journey_start
    from portal import outbox
    from portal.celery import app
    from portal.models import Account, Membership, Segment, User
    from tests.workers import worker_command

    call_command("migrate", verbosity=0)
    app.conf.task_always_eager = False
    AutomationSettings.load()
    run = os.urandom(3).hex()
    segment = Segment.objects.create(name=f"Restart {run}", slug=f"restart-{run}")
    account = Account.objects.create(
        name=f"Restart {run}", slug=f"restart-{run}", segment=segment, contract_start=timezone.now()
    )
    admin = User.objects.create_user(email=f"admin-{run}@restart.example", password=None, role=User.Role.CUSTOMER)
    Membership.objects.create(account=account, user=admin, role=Membership.Role.ADMIN)
    playbook = Playbook.objects.create(key=f"restart-{run}", name="Restart", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(segment)
    Step.objects.bulk_create(
        Step(playbook=playbook, key=f"s{n}", title=f"Step {n}", position=n, due_offset_days=1)
        for n in range(args.nudges)
    )
    journey_start(account=account, playbook=playbook, started_at=timezone.now() - timedelta(days=10))
    mine = Nudge.objects.filter(account=account)

    def sent() -> int:
        return mine.exclude(sent_at=None).count()

    def wait_for(condition, what: str) -> None:
        deadline = time.monotonic() + args.deadline
        while not condition():
            if time.monotonic() > deadline:
                sys.exit(f"timed out waiting for {what} ({sent()} sent); logs in {work}")
            time.sleep(0.05)

    worker_log = (work / "worker.log").open("w")
    worker = subprocess.Popen(
        worker_command(f"restart-bench-{run}", loglevel="INFO"), cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT
    )
    try:
        started = time.monotonic()
        ids = nudges_scan()  # one outbox row per nudge, published as the scan commits
        print(f"{len(ids)} nudges queued on {broker}")
        wait_for(lambda: sent() >= args.restart_after, "the first sends")

        redis.terminate()
        redis.wait(timeout=10)
        sent_at_restart = sent()
        time.sleep(args.down_seconds)
        redis = redis_start(port, work / "redis.log")
        back = time.monotonic()
        print(f"Redis restarted empty after {sent_at_restart} sent, down {args.down_seconds:.1f} s")

        # The queued messages are gone with it: queue the unsent ones again, as the scan does for
        # lost ones, and let the sweep publish whatever the broker refused while it came back.
        requeued = nudges_scan(requeue_after=timedelta(0))
        published = outbox.outbox_sweep(now=timezone.now() + outbox.RELAY_GRACE).published
        wait_for(lambda: sent() > sent_at_restart, "the first send after the restart")
        resumed = time.monotonic() - back
        while sent() < len(ids):
            if time.monotonic() - back > args.deadline:
                sys.exit(f"timed out: {sent()} of {len(ids)} sent; logs in {work}")
            outbox.outbox_sweep(now=timezone.now() + outbox.RELAY_GRACE)
            time.sleep(0.5)
        total = time.monotonic() - started
        time.sleep(1)  # a message in flight lands in its file
        found: Counter[str] = Counter()
        for path in (work / "mail").iterdir():
            found.update(HEADER.findall(path.read_text()))
        duplicates = sum(found.values()) - len(found)
        alive = worker.poll() is None
        print(
            f"sent {sent()} of {len(ids)}, {sum(found.values())} e-mails, {duplicates} duplicates; "
            f"{len(requeued)} re-queued, {published} published by the sweep; "
            f"resumed {resumed:.1f} s after Redis was back; same worker went on: {'yes' if alive else 'no'}; "
            f"{total:.1f} s in all"
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        redis.terminate()
        redis.wait(timeout=10)


if __name__ == "__main__":
    main()
