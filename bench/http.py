"""Requests per second of Kachi's pages and API reads under gunicorn, as shares of a bare Django view
served by the same processes in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_http_bench .venv/bin/python bench/http.py \
        [--seconds 10] [--warmup 2] [--connections 4] [--workers 2] [--redis redis://127.0.0.1:6379/9] [--only LABEL]

Needs wrk (Debian's ``wrk`` package), a scratch PostgreSQL database (its name must contain "bench";
created if missing, migrated and given the demo data with ``seed_demo``; the reports beat keeps are
refreshed first) and a Redis database for the shared cache (--redis, emptied first: production keeps
sessions and the help centre's parts there). Starts gunicorn as production runs it (DEBUG off,
--workers sync workers, static files collected) on loopback, with bench/http_settings.py: the
product's URLs plus ``/bench/bare/``, a view that reads and renders nothing, so Django's own cost on
this machine is measured beside the pages. wrk then loads each URL for --seconds after --warmup
seconds: the signed-in pages with a session cookie made by signing in once, the anonymous public
article with no cookie (as one reader reloading, then as a new reader on every request), the API
reads with an API token and ``POST /api/v1/events/`` with 100 new events per request. The bare view
runs before each URL and after the last; a URL's share is of the bare runs on either side of it, so a
change in the machine's load during the run moves both.

Prints requests/s, the share of the bare view's, the target beside it, the queries each request
makes (the test client, under CaptureQueriesContext), the sessions the anonymous reads wrote and the
machine's load (wrk and gunicorn share the cores with whatever else runs: read the figures by it).
The events it posted are deleted at the end; the demo data stays.
"""

# ruff: noqa: E402 - the path is set right before the imports (below)
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Named like the standard library's http package: with its folder first on the path, ``import
# http.client`` (urllib, psycopg, Django) would find this file. Its neighbours import as bench.*.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.scratch import load_average, scratch_url, setup_django

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
EVENT_NAME = "bench_http"
# Shares of the bare view's requests/s (events: events per second).
TARGET_SIGNED_IN = 0.20
TARGET_ANONYMOUS = 0.50
TARGET_API = 0.40
TARGET_EVENTS_PER_SECOND = 20_000

# Each wrk thread numbers its requests under a tag of its own.
THREAD_TAG_LUA = """
tag = "0"
local threads = 0
local counter = 0
function setup(thread)
  threads = threads + 1
  thread:set("tag", tostring(threads))
end
"""

# One request body of ``per`` new events for every request wrk sends: ids never repeat (run, wrk
# thread, request, position), so each is stored, as a product's would be.
EVENTS_LUA = (
    THREAD_TAG_LUA
    + """
function init(args)
  run, account, occurred, per, token = args[1], args[2], args[3], tonumber(args[4]), args[5]
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end
function request()
  counter = counter + 1
  local parts = {}
  for i = 1, per do
    parts[i] = '{"id":"' .. run .. '-' .. tag .. '-' .. counter .. '-' .. i .. '","account":"' .. account
      .. '","user":"u' .. (i % 7) .. '","name":"EVENT_NAME","occurred_at":"' .. occurred .. '"}'
  end
  return wrk.format("POST", nil, headers, "[" .. table.concat(parts, ",") .. "]")
end
""".replace("EVENT_NAME", EVENT_NAME)
)

# A reader wrk has not been before on every request (another browser, so another visitor): each
# one's view is a new row, where the plain run is one reader reloading.
READERS_LUA = (
    THREAD_TAG_LUA
    + """
function request()
  counter = counter + 1
  return wrk.format(nil, nil, {["User-Agent"] = "reader-" .. tag .. "-" .. counter})
end
"""
)
SCRIPTS = {"events": EVENTS_LUA, "readers": READERS_LUA}


@dataclass
class Target:
    label: str
    path: str
    kind: str  # "bare", "floor" (a bare view signed in or with a token), "signed-in", "anonymous", "api", "events"
    headers: dict[str, str] = field(default_factory=dict)
    script: str | None = None  # a wrk script of SCRIPTS
    queries: int | None = None
    rate: float = 0.0  # requests/s
    reference: float = 0.0  # the bare view's requests/s around this URL's run
    problems: list[str] = field(default_factory=list)

    @property
    def goal(self) -> float | None:
        return {"signed-in": TARGET_SIGNED_IN, "anonymous": TARGET_ANONYMOUS, "api": TARGET_API}.get(self.kind)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, target: Target, body: bytes | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{target.path}", data=body, headers=target.headers, method="POST" if body else "GET"
    )
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect (to the sign-in page) is an answer to report, not to follow


def wrk(port: int, target: Target, seconds: int, args: argparse.Namespace, script: Path | None) -> tuple[float, int]:
    """wrk's requests/s and its count of requests."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--timeout", "30s"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{target.path}")
    if target.kind == "events":
        occurred = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        command += ["--", args.run, args.account, occurred, str(args.per_request), args.events_token]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if found is None or total is None:
        sys.exit(f"wrk printed no rate for {target.path}:\n{output}")
    for pattern in (r"Non-2xx or 3xx responses: \d+", r"Socket errors: .+"):
        problem = re.search(pattern, output)
        if problem:
            target.problems.append(problem.group(0))
    return float(found.group(1)), int(total.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per URL")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds per URL before")
    parser.add_argument("--connections", type=int, default=4, help="wrk's open connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--per-request", type=int, default=100, help="events per POST /api/v1/events/")
    parser.add_argument("--query", default="CSV", help="the words searched for (help search and API)")
    parser.add_argument(
        "--only", default="", help="measure only the URLs whose label holds this text (and the bare view)"
    )
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/9", help="the shared cache, as production has it (emptied first)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/http.py needs wrk: apt-get install wrk")

    url = scratch_url("bench/http.py", "serves the demo data", "kachi_http_bench")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # plain HTTP on loopback; TLS is the proxy's
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Sessions, the help centre's parts and the reports' flags live in Redis in production: the
    # folder cache `make run` falls back on would measure the disk instead.
    os.environ["REDIS_URL"] = args.redis
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    setup_django(url, static=True)
    from django.core.management import call_command

    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", stdout=quiet)
    load_before = load_average()

    targets, cookies = prepare(args)
    count_queries(targets, args)

    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.http_settings"}
    app = subprocess.Popen(
        [GUNICORN, "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    script_folder = Path(tempfile.mkdtemp(prefix="kachi-http-bench-"))
    try:
        wait_for_http(port, time.monotonic() + 60)
        scripts = {name: script_folder / f"{name}.lua" for name in SCRIPTS}
        for name, path in scripts.items():
            path.write_text(SCRIPTS[name])
        check(port, targets, args)
        sessions = measure(port, targets, args, scripts)
    finally:
        app.terminate()
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
        shutil.rmtree(script_folder, ignore_errors=True)
        cleanup(cookies)
    report(args, targets, sessions, load_before, load_average())


def prepare(args: argparse.Namespace) -> tuple[list[Target], list[str]]:
    """The URLs, the session cookies of a customer and a CS manager, and the API tokens."""
    from urllib.parse import quote

    from django.conf import settings
    from django.test import Client

    from faq.models import Article
    from journeys.events.services.api_keys import api_key_create
    from journeys.reports.rollup import overview_refresh
    from portal.models import Account, ApiScope, User
    from portal.tokens import token_create

    overview_refresh()  # the reports beat keeps: the portfolio reads its expected times from them
    customer = User.objects.get(email="admin@sakura-foods.example")
    manager = User.objects.get(email="sato@kachi.example")
    admin = User.objects.get(email="admin@kachi.example")
    published = Article.objects.filter(status=Article.Status.PUBLISHED, language="ja").order_by("-view_count", "pk")
    public = published.filter(visibility=Article.Visibility.PUBLIC).first()
    for_customers = published.filter(visibility=Article.Visibility.CUSTOMERS).first() or public
    assert public is not None, "the demo data has no public article"

    cookies = []
    headers = {}
    for name, user in (("customer", customer), ("manager", manager)):
        client = Client()
        client.force_login(user)  # signs in once; wrk sends the session cookie
        cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies.append(cookie)
        headers[name] = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
    _token, raw = token_create(
        owner=admin, name="bench/http.py", scopes=[ApiScope.HELP_READ, ApiScope.ACCOUNTS_READ], days=1
    )
    _key, events_raw = api_key_create(name="bench/http.py events", account=None, by=admin, days=1)
    api = {"Authorization": f"Bearer {raw}", "Accept": "application/json"}
    args.events_token = events_raw
    args.account = Account.objects.order_by("pk").values_list("slug", flat=True).first()
    args.run = f"http-{secrets.token_hex(4)}"
    q = quote(args.query)

    targets = [
        Target("bare view", "/bench/bare/", "bare"),
        # What any signed-in page costs before it reads or renders anything: the session, the user.
        Target("bare view, signed in (customer)", "/bench/bare/", "floor", headers["customer"]),
        Target("/app/ (customer)", "/app/", "signed-in", headers["customer"]),
        Target("/portfolio/ (CS manager)", "/portfolio/", "signed-in", headers["manager"]),
        Target("article (customer)", for_customers.get_absolute_url(), "signed-in", headers["customer"]),
        Target("help search (customer)", f"/help/search/?q={q}", "signed-in", headers["customer"]),
        Target("public article (anonymous)", public.get_absolute_url(), "anonymous"),
        Target("public article (anonymous, new readers)", public.get_absolute_url(), "anonymous", script="readers"),
        # What any API read costs before it reads anything: DRF, the token, its scopes.
        Target("bare API view (token)", "/bench/bare/api/", "floor", api),
        Target("GET /api/v1/articles/?q=", f"/api/v1/articles/?q={q}", "api", api),
        Target("GET /api/v1/accounts/", "/api/v1/accounts/", "api", api),
        Target(f"POST /api/v1/events/ ({args.per_request})", "/api/v1/events/", "events", script="events"),
    ]
    if args.only:
        targets = [target for target in targets if target.kind in ("bare", "floor") or args.only in target.label]
    return targets, cookies


def events_body(args: argparse.Namespace, tag: str) -> bytes:
    occurred = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    events = [
        {"id": f"{args.run}-{tag}-{i}", "account": args.account, "name": EVENT_NAME, "occurred_at": occurred}
        for i in range(args.per_request)
    ]
    return json.dumps(events).encode()


def count_queries(targets: list[Target], args: argparse.Namespace) -> None:
    """The queries of one request to each URL after a first one (what a warm worker makes)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    with override_settings(ROOT_URLCONF="bench.http_urls"):  # the bare view too
        for target in targets:
            client = Client()
            headers = {name: value for name, value in target.headers.items() if name != "Cookie"}
            if "Cookie" in target.headers:
                name, _, value = target.headers["Cookie"].partition("=")
                client.cookies[name] = value
            if target.kind == "events":
                headers = {"Authorization": f"Bearer {args.events_token}"}
            responses = []
            for tag in ("first", "counted"):
                with CaptureQueriesContext(connection) as queries:
                    if target.kind == "events":
                        body = events_body(args, f"count-{tag}")
                        response = client.post(target.path, body, content_type="application/json", headers=headers)
                    else:
                        response = client.get(target.path, headers=headers)
                responses.append(response.status_code)
            if responses != [200, 200]:
                target.problems.append(f"test client: {responses}")
            target.queries = len(queries)


def wait_for_http(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            status, _body, _headers = fetch(port, Target("health", "/healthz", "bare"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer /healthz in time")


def check(port: int, targets: list[Target], args: argparse.Namespace) -> None:
    """Each URL answers 200 as the one it is asked by (not a redirect to the sign-in page)."""
    for target in targets:
        if target.kind == "events":
            events = Target(target.label, target.path, target.kind, {"Authorization": f"Bearer {args.events_token}"})
            events.headers["Content-Type"] = "application/json"
            status, body, _headers = fetch(port, events, events_body(args, "check"))
            accepted = json.loads(body).get("accepted") if status == 200 else None
            if accepted != args.per_request:
                sys.exit(f"{target.path}: {status}, accepted {accepted} of {args.per_request}: {body[:300]!r}")
            continue
        status, body, _headers = fetch(port, target)
        if status != 200:
            sys.exit(f"{target.label} {target.path}: {status} {body[:300]!r}")


def measure(port: int, targets: list[Target], args: argparse.Namespace, scripts: dict[str, Path]) -> tuple[int, int]:
    """Loads each URL with wrk, the bare view before each and after the last: a URL's share is of the
    mean of the bare runs on either side of it, so a change in the machine's load during the run
    moves both. Returns the anonymous article's requests in its measured runs and the Session rows
    those runs added."""
    from django.contrib.sessions.models import Session

    bare, *pages = targets
    sessions = (0, 0)

    def run(target: Target) -> float:
        nonlocal sessions
        events = scripts[target.script] if target.script else None
        if args.warmup > 0:
            wrk(port, target, args.warmup, args, events)
        before = Session.objects.count()
        rate, total = wrk(port, target, args.seconds, args, events)
        if target.kind == "anonymous":
            sessions = (sessions[0] + total, sessions[1] + Session.objects.count() - before)
        print(f"  {target.label:<30} {rate:9.1f} req/s", flush=True)
        return rate

    bare_rates = [run(bare)]
    for page in pages:
        page.rate = run(page)
        bare_rates.append(run(bare))
        page.reference = (bare_rates[-2] + bare_rates[-1]) / 2
    bare.rate = bare.reference = sum(bare_rates) / len(bare_rates)
    bare.problems.append(f"mean of {len(bare_rates)} runs, {min(bare_rates):.0f} to {max(bare_rates):.0f} req/s")
    return sessions


def cleanup(cookies: list[str]) -> None:
    from django.contrib.sessions.models import Session

    from journeys.events.models import UsageEvent
    from portal.models import ApiToken

    UsageEvent.objects.filter(name=EVENT_NAME).delete()
    ApiToken.objects.filter(name__startswith="bench/http.py").delete()
    Session.objects.filter(session_key__in=cookies).delete()


def report(
    args: argparse.Namespace, targets: list[Target], sessions: tuple[int, int], load_before: str, load_after: str
) -> None:
    bare = targets[0]
    print(
        f"\ngunicorn: {args.workers} sync workers, DEBUG off; wrk: {args.threads} thread(s), {args.connections} "
        f"connections, {args.seconds:g} s per URL after {args.warmup:g} s of warm-up; loopback"
    )
    print(f"{'what':<32} {'req/s':>9} {'share':>7} {'target':>8} {'met':>4} {'queries':>8}  notes")
    all_met = True
    for target in targets:
        share = target.rate / target.reference if target.reference else 0.0
        if target.kind == "events":
            per_second = target.rate * args.per_request
            met = per_second >= TARGET_EVENTS_PER_SECOND
            goal = f"{TARGET_EVENTS_PER_SECOND:,} ev/s"
            notes = [f"{per_second:,.0f} events/s", *target.problems]
        elif target.goal is not None:
            met = share >= target.goal
            goal = f"≥ {target.goal:.0%}"
            notes = target.problems
        else:
            met, goal, notes = True, "", target.problems
        met = met and (target is bare or not target.problems)
        all_met = all_met and met
        verdict = ("yes" if met else "NO") if goal else ""
        print(
            f"{target.label:<32} {target.rate:9.1f} {share:7.1%} {goal:>8} {verdict:>4} "
            f"{target.queries if target.queries is not None else '':>8}  {'; '.join(notes)}"
        )
    requests, written = sessions
    print(f"sessions written during the anonymous article's {requests:,} measured requests: {written:,}")
    print(f"load average: {load_before} before, {load_after} after")
    print("targets met" if all_met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
