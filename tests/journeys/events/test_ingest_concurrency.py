"""Concurrent ingestion through a real HTTP server: 20 clients, 10,000 events, 10% duplicate ids posted by
other clients than the originals. The unique constraint alone makes every event count exactly once."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum

from journeys.events.models import DailyEventCount, UsageEvent
from journeys.events.rules import filter_key
from journeys.events.services.api_keys import api_key_create
from journeys.onboarding.models import Milestone
from tests.conftest import World
from tests.factories import MilestoneFactory

CLIENTS = 20
DISTINCT = 9_000
DUPLICATED = 1_000  # ids 0..999 are posted a second time, each by another client than its original one
NAMES = ["login", "campaign_sent", "report_viewed", "invite_sent", "export"]
START = datetime(2025, 3, 1, tzinfo=UTC)


def event(n: int) -> dict:
    return {
        "id": f"evt-{n:05d}",
        "account": ("alpha", "beta")[n % 2],
        "user": f"u-{n % 37}",
        "name": NAMES[n % len(NAMES)],
        # Spread over ten days, so concurrent batches share daily-count rows.
        "occurred_at": (START + timedelta(minutes=n * 1.6)).isoformat(),
        "properties": {"channel": "email" if n % 3 == 0 else "sms"},
    }


def client_batches(seed: int) -> list[list[list[dict]]]:
    """For each client, its batches (100 to 250 events each): 450 originals and 50 duplicates of others' ids."""
    rng = random.Random(seed)
    per_client: list[list[dict]] = [[] for _ in range(CLIENTS)]
    for n in range(DISTINCT):
        per_client[n % CLIENTS].append(event(n))
    for n in range(DUPLICATED):
        per_client[(n % CLIENTS + 1 + n % (CLIENTS - 1)) % CLIENTS].append(event(n))
    batches = []
    for events in per_client:
        rng.shuffle(events)
        mine, start = [], 0
        while start < len(events):
            size = rng.randint(100, 250)
            mine.append(events[start : start + size])
            start += size
        batches.append(mine)
    return batches


def post_all(url: str, raw_key: str, batches: list[list[list[dict]]]) -> list[dict]:
    """Every client posts its batches one after the other, all clients at once. The answers."""
    start_together = threading.Barrier(CLIENTS)

    def run(mine: list[list[dict]]) -> list[dict]:
        start_together.wait()
        answers = []
        for batch in mine:
            request = urllib.request.Request(  # noqa: S310 (the live test server)
                url,
                data=json.dumps(batch).encode(),
                headers={"Authorization": f"Bearer {raw_key}", "Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    answers.append(json.load(response))
            except urllib.error.HTTPError as error:
                pytest.fail(f"HTTP {error.code}: {error.read()[:2000]!r}")
        return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        return [answer for answers in pool.map(run, batches) for answer in answers]


def test_concurrent_clients_store_every_event_exactly_once(live_server, transactional_db: None, world: World) -> None:
    MilestoneFactory(rule=Milestone.Rule.EVENT, event_name="campaign_sent", event_properties={"channel": "email"})
    raw_key = api_key_create(name="Load", account=None, by=None)[1]
    batches = client_batches(seed=7)
    assert sum(len(batch) for mine in batches for batch in mine) == DISTINCT + DUPLICATED
    url = f"{live_server.url}/api/v1/events/"
    began = time.monotonic()

    answers = post_all(url, raw_key, batches)

    assert all(answer["errors"] == [] for answer in answers)
    assert sum(answer["accepted"] for answer in answers) == DISTINCT
    assert sum(answer["duplicates"] for answer in answers) == DUPLICATED
    assert UsageEvent.objects.count() == DISTINCT
    assert UsageEvent.objects.values("external_id").distinct().count() == DISTINCT

    replayed = post_all(url, raw_key, batches)

    assert sum(answer["accepted"] for answer in replayed) == 0
    assert sum(answer["duplicates"] for answer in replayed) == DISTINCT + DUPLICATED
    assert UsageEvent.objects.count() == DISTINCT
    counts = DailyEventCount.objects.values("filter_key").annotate(total=Sum("count"))
    assert {row["filter_key"]: row["total"] for row in counts} == {
        "": DISTINCT,
        # campaign_sent (n % 5 == 1) by email (n % 3 == 0): n % 15 == 6
        filter_key({"channel": "email"}): len([n for n in range(DISTINCT) if n % 15 == 6]),
    }
    assert time.monotonic() - began < 60
