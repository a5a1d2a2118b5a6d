"""Server time of the main pages per role, on the demo data.

    .venv/bin/python bench/pages.py [--requests 50]

Uses a throw-away SQLite database unless DATABASE_URL is set (then that
database is migrated and seeded: point it at a scratch database). Prints p50 and
p95 in milliseconds and the number of queries per page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.scratch  # noqa: E402, F401 - takes this folder off the path (see there)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("KACHI_ANNOUNCE_DEFAULTS", "0")
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    from portal.models import User

    pages = [
        ("admin@kachi.example", "/reports/"),
        ("admin@kachi.example", "/accounts/"),
        ("sato@kachi.example", "/portfolio/"),
        ("sato@kachi.example", "/accounts/sakura-foods/"),
        ("admin@sakura-foods.example", "/app/"),
        ("admin@sakura-foods.example", "/app/team/"),
        ("admin@kachi.example", "/api/v1/accounts/"),
    ]
    print(f"{'page':<28} {'as':<28} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for email, url in pages:
        client = Client()
        client.force_login(User.objects.get(email=email))
        client.get(url)  # warm up
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"{url:<28} {email:<28} {statistics.median(timings):8.1f} {p95:8.1f} {len(queries):8d}")


if __name__ == "__main__":
    main()
