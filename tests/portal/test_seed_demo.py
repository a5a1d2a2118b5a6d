from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from portal.models import Account, Membership, Segment, User
from tests.demo_world import demo_world

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_builds_a_believable_world_and_is_idempotent() -> None:
    first = seed()
    counts = (Segment.objects.count(), User.objects.count(), Account.objects.count(), Membership.objects.count())
    assert seed() and counts == (
        Segment.objects.count(),
        User.objects.count(),
        Account.objects.count(),
        Membership.objects.count(),
    )
    assert set(Segment.objects.values_list("name", flat=True)) == {"PLG", "SMB", "Mid-market", "Enterprise"}
    assert 35 <= Account.objects.count() <= 45
    assert User.objects.filter(role=User.Role.CSM).count() >= 3
    assert User.objects.filter(role=User.Role.ADMIN).exists()
    now = timezone.now()
    starts = list(Account.objects.values_list("contract_start", flat=True))
    assert all(now - timedelta(days=366) <= s <= now for s in starts)
    assert max(starts) - min(starts) > timedelta(days=300), "starts are spread over the year"
    assert Account.objects.filter(status=Account.Status.CHURNED, churned_at__isnull=False).exists()
    assert not Account.objects.filter(memberships__isnull=True).exists(), "every account has users"
    assert Membership.objects.filter(role=Membership.Role.ADMIN).count() == Account.objects.count()
    assert "admin@kachi.example" in first
    assert "kachi-demo" in first


def test_demo_logins_work(client) -> None:
    demo_world()
    for email, home in [
        ("admin@kachi.example", "/reports/"),
        ("sato@kachi.example", "/portfolio/"),
        ("tanaka@kachi.example", "/support/desk/"),
        ("admin@sakura-foods.example", "/app/"),
        ("user1@sakura-foods.example", "/app/"),
    ]:
        response = client.post("/login/", {"username": email, "password": "kachi-demo"}, follow=True)
        assert response.redirect_chain[-1][0] == home, email
        client.post("/logout/")


def test_segments_carry_reference_bands_from_published_benchmarks() -> None:
    demo_world()
    bands = dict(Segment.objects.values_list("slug", "reference_low_days"))
    assert bands == {"plg": 1, "smb": 7, "mid-market": 20, "enterprise": 30}
    assert Segment.objects.get(slug="enterprise").reference_high_days == 90


def test_the_demo_desk_has_inquiries_answered_fast_late_and_waiting() -> None:
    from support.models import AskAttempt, Inquiry, Message

    seed()
    assert Inquiry.objects.count() >= 30
    assert Inquiry.objects.filter(first_reply_fast=True).exists()
    assert Inquiry.objects.filter(first_reply_in_target=False).exists()
    assert Inquiry.objects.filter(first_replied_at=None).exists()
    assert Message.objects.filter(kind=Message.Kind.NOTE).exists()
    assert AskAttempt.objects.filter(solved_by__isnull=False).exists()
    assert AskAttempt.objects.filter(inquiry__isnull=False).count() == Inquiry.objects.count()
    counts = Inquiry.objects.count()
    seed()
    assert Inquiry.objects.count() == counts
