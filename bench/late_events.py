"""Late usage events: TTV when each account's older events arrive last, against posting them in order.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_late_bench .venv/bin/python bench/late_events.py

Needs PostgreSQL and a scratch database (its name must contain "bench"; created if missing and
migrated). Two sets of the same accounts with the same events: one posts every event in time order,
the other each account's newer half first and its older half last (a client's offline queue, a
backfill). Events go through POST /api/v1/events/ (global key, batches of 1,000) with the evaluation
task run in-process as each batch commits, so the time per batch includes evaluating what the batch
can change. Prints the Kaplan-Meier medians of first action, first value and adoption for both sets
and their ratio (1.00 means late data changed nothing), and the time per batch. The rows it added
are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

KINDS = ["first_action", "first_value", "adoption"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    url = scratch_url("bench/late_events.py", "posts events out of order", "kachi_late_bench")
    setup_django(url)
    from django.db import transaction
    from django.test import Client
    from django.utils import timezone

    from journeys.events.services.api_keys import api_key_create
    from journeys.onboarding.models import Journey, Milestone, Playbook, Step
    from journeys.onboarding.services.journeys import journey_start
    from journeys.reports.measurement import ttv_report
    from portal.celery import app
    from portal.models import Account, MilestoneKind, Segment

    app.conf.task_always_eager = True  # each batch's evaluation runs as it commits, in this process
    run = secrets.token_hex(3)
    rng = random.Random(args.seed)
    segment, _ = Segment.objects.get_or_create(slug="late-bench", defaults={"name": "Late bench"})
    playbook = Playbook.objects.create(key=f"late-{run}", name="Late bench", status=Playbook.Status.PUBLISHED)
    send = Step.objects.create(playbook=playbook, key="send", title="Send", event_name="campaign_sent")
    Milestone.objects.create(
        playbook=playbook, key="first", name="First login", kind=MilestoneKind.FIRST_ACTION,
        rule=Milestone.Rule.EVENT, event_name="login",
    )  # fmt: skip
    Milestone.objects.create(
        playbook=playbook, key="value", name="First campaign", kind=MilestoneKind.FIRST_VALUE
    ).steps.add(send)
    Milestone.objects.create(
        playbook=playbook, key="adopt", name="Regular use", kind=MilestoneKind.ADOPTION, rule=Milestone.Rule.EVENT,
        event_name="login", event_min_count=5, event_min_days=3, event_window_days=14,
    )  # fmt: skip
    start = timezone.now() - timedelta(days=90)

    def timeline() -> list[tuple[str, float]]:
        """(name, days from the start) of one account's events: a first login after a few days,
        then logins and campaigns now and then."""
        first = min(rng.expovariate(1 / 6), 25.0)
        days = [(name, first + rng.uniform(0, 60)) for name in ["login"] * 25 + ["campaign_sent"] * 6]
        return [("login", first), *days]

    timelines = [timeline() for _ in range(args.accounts)]
    _key, raw = api_key_create(name=f"late-bench-{run}", account=None, by=None)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    results = {}
    for mode in ("in order", "older half last"):
        prefix = f"{run}-{'a' if mode == 'in order' else 'b'}"
        items: list[list[dict]] = [[], []]  # posted first, posted last
        for n, events in enumerate(timelines):
            account = Account.objects.create(slug=f"{prefix}-{n}", name=f"{prefix} {n}", segment=segment,
                                             contract_start=start)  # fmt: skip
            journey_start(account=account, playbook=playbook)
            ordered = sorted(events, key=lambda e: e[1])
            half = len(ordered) // 2
            for i, (name, day) in enumerate(ordered):
                item = {"id": f"{prefix}-{n}-{i}", "account": account.slug, "name": name,
                        "occurred_at": (start + timedelta(days=day)).isoformat()}  # fmt: skip
                late = mode == "older half last" and i < half
                items[1 if late else 0].append(item)
        # In order: by time across accounts. Late: each account's newer half, then the older halves.
        body = sorted(items[0], key=lambda item: item["occurred_at"]) if mode == "in order" else items[0] + items[1]
        timings = []
        for i in range(0, len(body), args.batch):
            began = time.perf_counter()
            response = client.post("/api/v1/events/", json.dumps(body[i : i + args.batch]),
                                   content_type="application/json", secure=True, **headers)  # fmt: skip
            timings.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200 and response.json()["errors"] == [], response.content[:300]
        accounts = Account.objects.filter(slug__startswith=f"{prefix}-")
        now = timezone.now()
        medians = {
            kind: ttv_report(kind=kind, accounts=accounts, now=now).groups[0].estimate.median_days for kind in KINDS
        }
        results[mode] = (medians, timings, len(body))

    print(f"accounts               {args.accounts:>8,} per set, {results['in order'][2]:,} events each")
    print(f"{'median days':<22} {'in order':>10} {'older last':>11} {'ratio':>7}")
    for kind in KINDS:
        truth, late = results["in order"][0][kind], results["older half last"][0][kind]
        ratio = late / truth if truth else float("nan")
        print(f"{kind:<22} {truth:>10.2f} {late:>11.2f} {ratio:>7.2f}")
    for mode, (_medians, timings, _n) in results.items():
        print(f"ms per batch ({mode:<15}) median {statistics.median(timings):.0f}, max {max(timings):.0f}, "
              f"{len(timings)} batches (ingest and evaluation)")  # fmt: skip

    with transaction.atomic():
        Journey.objects.filter(playbook=playbook).delete()
        Account.objects.filter(slug__startswith=f"{run}-").delete()
        playbook.delete()
        _key.delete()


if __name__ == "__main__":
    main()
