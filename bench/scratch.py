"""The scratch PostgreSQL database and Django set-up every benchmark runs on."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

# bench/http.py is named like the standard library's http package: a script of this folder run as a
# file has the folder first on the path, where ``import http.client`` (Django, urllib, psycopg) would
# find it. Importing this module, as bench.scratch, takes the folder off the path: the scripts import
# it before anything else of theirs, and each other as bench.*.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]


def scratch_url(script: str, purpose: str, example: str) -> str:
    """DATABASE_URL, which must name a PostgreSQL database whose name contains "bench"."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            f"{script} {purpose}: set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/{example}"
        )
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"{script} replaces many rows: point DATABASE_URL at a scratch database (*bench*), not {name!r}.")
    return url


def ensure_database(url: str) -> None:
    """Create the scratch database if it does not exist (UTF-8, from template0, like the test database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))
            print(f"created database {name}")


def setup_django(url: str, *, static: bool = False) -> None:
    """Django on the scratch database, as production runs it (DEBUG off), migrated, with anything
    enqueued sent to a throw-away broker; ``static`` collects the static files (pages use the hashed
    names of production) into a throw-away folder."""
    ensure_database(url)
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(60))  # a throw-away key for this process
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # Anything enqueued goes to a throw-away broker folder, never to a development worker's queue.
    os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ["BROKER_FOLDER"] = tempfile.mkdtemp(prefix="kachi-bench-broker-")
    if static:
        os.environ["STATIC_ROOT"] = tempfile.mkdtemp(prefix="kachi-bench-static-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if static:
        call_command("collectstatic", interactive=False, verbosity=0)


def load_average() -> str:
    """The machine's load over 1, 5 and 15 minutes, to read a timing by: above the number of cores,
    other work shares them."""
    return f"{', '.join(f'{load:.2f}' for load in os.getloadavg())} on {os.cpu_count()} cores"
