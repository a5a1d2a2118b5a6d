"""The demo journeys: every demo account has a believable history, and seeding again adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from journeys.events.models import DailyEventCount, UsageEvent
from journeys.onboarding.models import Achievement, Journey, Playbook, StepEvent, StepState, ValueRecord
from portal.models import Account, MilestoneKind
from tests.demo_world import demo_world

pytestmark = pytest.mark.django_db

COUNTED = [Playbook, Journey, StepState, StepEvent, Achievement, ValueRecord, UsageEvent, DailyEventCount]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


def test_seeding_twice_adds_and_changes_nothing() -> None:
    first = seed()
    after_first = counts()
    changed = {
        "journeys": list(Journey.objects.order_by("pk").values_list("pk", "playbook_id", "completed_at")),
        "states": list(StepState.objects.order_by("pk").values_list("pk", "status", "changed_at")),
        "achievements": list(Achievement.objects.order_by("pk").values_list("pk", "achieved_at")),
    }
    second = seed()
    assert counts() == after_first
    assert changed == {
        "journeys": list(Journey.objects.order_by("pk").values_list("pk", "playbook_id", "completed_at")),
        "states": list(StepState.objects.order_by("pk").values_list("pk", "status", "changed_at")),
        "achievements": list(Achievement.objects.order_by("pk").values_list("pk", "achieved_at")),
    }
    assert after_first["Journey"] == Account.objects.count()
    assert after_first["UsageEvent"] > 1000
    assert "40 journeys" in first
    assert "0 journeys, 0 step changes, 0 usage events, 0 achievements and 0 value records" in second


def test_the_demo_world_is_believable() -> None:
    demo_world()
    now = timezone.now()
    assert not Account.objects.filter(journeys__isnull=True).exists(), "every account has a journey"
    assert set(Achievement.objects.values_list("kind", flat=True)) == set(MilestoneKind.values)
    assert Account.objects.exclude(achievements__kind=MilestoneKind.FIRST_VALUE).exists(), "someone never got there"
    assert StepState.objects.filter(status=StepState.Status.BLOCKED).exclude(reason="").exists()
    assert StepState.objects.filter(status=StepState.Status.TODO, due_at__lt=now).exists(), "someone is late"
    assert StepState.objects.filter(status=StepState.Status.DONE).count() > 100
    assert StepEvent.objects.filter(source="event").exists(), "usage events completed steps"
    assert not Achievement.objects.filter(achieved_at__gt=now).exists()
    assert not StepEvent.objects.filter(occurred_at__gt=now).exists()
    assert not UsageEvent.objects.filter(occurred_at__gt=now).exists()
    for achieved_at, started_at in Achievement.objects.values_list("achieved_at", "journey__started_at"):
        assert started_at <= achieved_at <= now
    for occurred_at, contract_start in StepEvent.objects.values_list("occurred_at", "journey__account__contract_start"):
        assert contract_start <= occurred_at <= now


def test_the_demo_shows_playbook_versions() -> None:
    demo_world()
    smb_versions = (
        Journey.objects.filter(playbook_key="smb-onboarding")
        .values("playbook__version")
        .annotate(n=Count("pk"))
        .order_by("playbook__version")
    )
    assert [row["playbook__version"] for row in smb_versions] == [1, 2]
    assert set(Playbook.objects.filter(key="smb-onboarding").values_list("version", "status")) == {
        (1, Playbook.Status.RETIRED),
        (2, Playbook.Status.PUBLISHED),
    }
    assert set(Playbook.objects.filter(status=Playbook.Status.PUBLISHED).values_list("key", flat=True)) == {
        "plg-onboarding",
        "smb-onboarding",
        "mid-market-onboarding",
        "enterprise-onboarding",
    }
    v1, v2 = Playbook.objects.filter(key="smb-onboarding").order_by("version")
    assert v2.steps.count() == v1.steps.count() + 1
    for playbook in Playbook.objects.filter(status=Playbook.Status.PUBLISHED):
        assert 5 <= playbook.steps.count() <= 12, playbook
        assert set(playbook.milestones.values_list("kind", flat=True)) == set(MilestoneKind.values), playbook


def test_churned_accounts_stop_at_their_churn_date() -> None:
    demo_world()
    churned = Account.objects.filter(status=Account.Status.CHURNED)
    assert churned.exists()
    for account in churned:
        assert not StepEvent.objects.filter(journey__account=account, occurred_at__gt=account.churned_at).exists()
        assert not UsageEvent.objects.filter(account=account, occurred_at__gt=account.churned_at).exists()
        assert not Achievement.objects.filter(account=account, achieved_at__gt=account.churned_at).exists()
