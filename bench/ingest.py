"""Usage-event ingestion through the API, against PostgreSQL's COPY into the same table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_bench .venv/bin/python bench/ingest.py [--events 50000]

Needs PostgreSQL, and a scratch database (its name must contain "bench"; it is
created if missing and migrated). Posts the events in batches of 1,000 to
POST /api/v1/events/ with django.test.Client in-process (every middleware, DRF,
authentication, validation, the insert, the daily counts and the on-commit
enqueue), then COPYs as many rows with fresh ids into journeys_usageevent.
Prints both rates, their ratio (target: the API at least 20% of COPY) and the
time per 1,000-event batch. Runs with DEBUG off, like production; the rows it
added are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

NAMES = ["login", "campaign_sent", "report_viewed", "invite_sent", "export", "dashboard_opened"]
CHANNELS = ["email", "sms", "line", "push"]


def event(run: str, n: int, base: datetime) -> dict:
    return {
        "id": f"{run}-{n}",
        "user": f"user-{n % 500}",
        "name": NAMES[n % len(NAMES)],
        "occurred_at": (base + timedelta(seconds=n * 37)).isoformat(),
        "properties": {"channel": CHANNELS[n % len(CHANNELS)], "plan": "pro", "count": n % 10},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()

    url = scratch_url("bench/ingest.py", "compares with PostgreSQL's COPY", "kachi_bench")
    setup_django(url)
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from journeys.events.models import DailyEventCount, UsageEvent
    from journeys.events.services.api_keys import api_key_create
    from journeys.onboarding.models import Milestone, Playbook
    from portal.models import Account, MilestoneKind, Segment, User

    segment, _ = Segment.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    account, _ = Account.objects.get_or_create(
        slug="bench", defaults={"name": "Bench KK", "segment": segment, "contract_start": timezone.now()}
    )
    # One rule with a property filter, so ingestion keeps a filtered daily count as in real use.
    playbook, _ = Playbook.objects.get_or_create(key="bench", version=1, defaults={"name": "Bench"})
    Milestone.objects.get_or_create(
        playbook=playbook,
        key="bench-email",
        defaults={
            "name": "First e-mail campaign",
            "kind": MilestoneKind.FIRST_VALUE,
            "rule": Milestone.Rule.EVENT,
            "event_name": "campaign_sent",
            "event_properties": {"channel": "email"},
        },
    )
    admin, _ = User.objects.get_or_create(
        email="bench-admin@kachi.example", defaults={"name": "Bench admin", "role": User.Role.ADMIN}
    )
    api_key, raw_key = api_key_create(name="bench", account=account, by=admin)
    run = secrets.token_hex(4)
    base = timezone.now() - timedelta(days=30)

    bodies = []
    for start in range(0, args.events, args.batch):
        stop = min(start + args.batch, args.events)
        bodies.append(json.dumps([event(run, n, base) for n in range(start, stop)]))
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}
    client.post("/api/v1/events/", "[]", content_type="application/json", secure=True, **headers)  # warm up

    timings = []
    began = time.perf_counter()
    for body in bodies:
        start = time.perf_counter()
        response = client.post("/api/v1/events/", body, content_type="application/json", secure=True, **headers)
        timings.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:500]
        assert response.json()["errors"] == [], response.content[:500]
    api_seconds = time.perf_counter() - began
    stored = UsageEvent.objects.filter(api_key=api_key).count()
    assert stored == args.events, (stored, args.events)

    received = datetime.now(UTC)
    rows = [
        (
            api_key.pk,
            f"{run}-copy-{n}",
            account.pk,
            item["user"],
            item["name"],
            datetime.fromisoformat(item["occurred_at"]),
            json.dumps(item["properties"]),
            received,
        )
        for n, item in ((n, event(run, n, base)) for n in range(args.events))
    ]
    columns = "api_key_id, external_id, account_id, user_ref, name, occurred_at, properties, received_at"
    began = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {UsageEvent._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    copy_seconds = time.perf_counter() - began
    assert UsageEvent.objects.filter(api_key=api_key).count() == 2 * args.events

    api_rate = args.events / api_seconds
    copy_rate = args.events / copy_seconds
    batch_ms = [t * 1000 for t in timings]
    print(f"events                 {args.events:>10,} in batches of {args.batch:,}")
    print(f"API  POST /api/v1/events/ {api_rate:>10,.0f} events/s  ({api_seconds:.2f} s)")
    print(f"COPY journeys_usageevent  {copy_rate:>10,.0f} rows/s    ({copy_seconds:.2f} s)")
    print(f"ratio API / COPY       {api_rate / copy_rate:>10.1%}  (target ≥ 20%)")
    print(
        f"ms per batch           median {statistics.median(batch_ms):.1f}, "
        f"p95 {statistics.quantiles(batch_ms, n=20)[-1]:.1f}, max {max(batch_ms):.1f}"
    )

    with transaction.atomic():
        UsageEvent.objects.filter(api_key=api_key).delete()
        DailyEventCount.objects.filter(account=account).delete()
        api_key.delete()


if __name__ == "__main__":
    main()
