"""Beat through a PostgreSQL restart: its schedules live in the database (django-celery-beat); does
it go on sending them once the database is back, with nobody restarting it?

    .venv/bin/python bench/beat_restart.py [--seconds 40] [--restart-at 10] [--down 5] [--pg-port 55433]

Starts a private PostgreSQL cluster (as bench/outage_db.py does; the machine's own server is never
touched), migrates Kachi into it and adds one schedule every 2 seconds. Starts ``celery beat`` with
the database scheduler on a filesystem broker in a temporary folder, stops PostgreSQL at
--restart-at seconds for --down seconds, then starts it again. Prints the sends of that schedule
before, during and after the outage, whether beat is still running, and the seconds from the
database being back until beat sent again. Everything it starts is stopped and its folder deleted.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.outage_db import PYTHON, ROOT, Cluster, pg_bin

DATABASE = "kachi_beat_bench"
TASK = "portal.tasks.housekeeping"
SENT = re.compile(rf"Sending due task beat-restart-bench \({re.escape(TASK)}\)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--down", type=float, default=5)
    parser.add_argument("--pg-port", type=int, default=55433)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kachi-beat-") as folder:
        work = Path(folder)
        cluster = Cluster(work, args.pg_port)  # the folder becomes PostgreSQL's; root writes in it still
        cluster.init()
        cluster.pg_ctl("start")
        beat = None
        try:
            cluster._run(pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(args.pg_port), "-U", "postgres", DATABASE)
            env = {
                **os.environ,
                "DATABASE_URL": cluster.url(DATABASE),
                "CELERY_BROKER_URL": "filesystem://",
                "BROKER_FOLDER": str(work / "broker"),
                "DEBUG": "0",
                "SECRET_KEY": "beat-restart-bench-" + "x" * 40,
                "ALLOWED_HOSTS": "127.0.0.1",
            }
            subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            schedule = (
                "from django_celery_beat.models import IntervalSchedule, PeriodicTask\n"
                "every, _ = IntervalSchedule.objects.get_or_create(every=2, period='seconds')\n"
                f"PeriodicTask.objects.create(name='beat-restart-bench', task='{TASK}', interval=every)\n"
            )
            subprocess.run([PYTHON, "manage.py", "shell", "-c", schedule], cwd=ROOT, env=env, check=True)
            log = work / "beat.log"
            beat = subprocess.Popen(
                [PYTHON, "-m", "celery", "-A", "portal", "beat", "--loglevel=INFO", "--max-interval=1",
                 "-S", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile=", f"--schedule={work / 'sched'}"],
                cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            began = time.monotonic()
            sends: list[float] = []

            def read_sends() -> None:
                lines = log.read_text(errors="replace").splitlines()
                while len(sends) < sum(1 for line in lines if SENT.search(line)):
                    sends.append(time.monotonic() - began)

            while time.monotonic() - began < args.restart_at:
                read_sends()
                time.sleep(0.2)
            stopped_at = time.monotonic() - began
            cluster._run(pg_bin("pg_ctl"), "stop", "-D", str(cluster.data), "-m", "fast")
            while time.monotonic() - began < stopped_at + args.down:
                read_sends()
                time.sleep(0.2)
            cluster.pg_ctl("start")
            back_at = time.monotonic() - began
            while time.monotonic() - began < args.seconds:
                read_sends()
                time.sleep(0.2)
            read_sends()
            alive = beat.poll() is None
            before = [t for t in sends if t < stopped_at]
            during = [t for t in sends if stopped_at <= t < back_at]
            after = [t for t in sends if t >= back_at]
            print(f"schedule every 2 s; PostgreSQL down from {stopped_at:.1f} s to {back_at:.1f} s")
            print(f"sends before: {len(before)}, during: {len(during)}, after: {len(after)}")
            print(f"beat still running: {'yes' if alive else 'no'}")
            first = f"{after[0] - back_at:.1f} s" if after else "never"
            print(f"first send after the database was back: {first}")
            if not after or not alive:
                print(log.read_text(errors="replace")[-3000:])
                sys.exit(1)
        finally:
            if beat is not None and beat.poll() is None:
                beat.terminate()
                beat.wait(timeout=20)
            cluster._run(pg_bin("pg_ctl"), "stop", "-D", str(cluster.data), "-m", "immediate", check=False)


if __name__ == "__main__":
    main()
