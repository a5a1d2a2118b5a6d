"""What the desk reads: the queue's urgency filter in the database says what ``urgency`` says of
each inquiry, at any moment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from support import selectors
from support.models import Inquiry
from support.services import inquiry_create, inquiry_reply, inquiry_set_status
from tests.conftest import World
from tests.factories import BusinessCalendarFactory, ReplyTargetFactory

pytestmark = pytest.mark.django_db


def test_the_urgency_filter_agrees_with_each_inquirys_urgency_at_any_moment(world: World) -> None:
    calendar = BusinessCalendarFactory(hours=[(day, "00:00", "00:00") for day in range(7)], japanese_holidays=False)
    ReplyTargetFactory(calendar=calendar, fast_minutes=60, first_reply_minutes=240, next_reply_minutes=240)
    ReplyTargetFactory(calendar=calendar, priority="low", fast_minutes=100_000, first_reply_minutes=240)
    start = timezone.now()
    for minutes in (0, 50, 90, 200, 300):
        for priority in ("normal", "low"):
            inquiry_create(
                account=world.account_a, author=world.customer_a, subject=f"{minutes} {priority}", body="?",
                priority=priority, at=start - timedelta(minutes=minutes),
            )  # fmt: skip
    paused, answered, asked_again = Inquiry.objects.filter(priority="normal").order_by("-created_at")[:3]
    inquiry_set_status(inquiry=paused, status="waiting", by=world.csm_a)
    inquiry_reply(inquiry=answered, by=world.csm_a, body="Done?")
    inquiry_reply(inquiry=asked_again, by=world.csm_a, body="Done?")
    inquiry_reply(inquiry=asked_again, by=world.customer_a, body="Not yet.", at=start - timedelta(minutes=10))
    inquiries = list(Inquiry.objects.all())

    seen = set()
    for later in (0, 20, 45, 100, 200, 400):
        now = start + timedelta(minutes=later)
        for state in selectors.URGENCY_STATES:
            found = set(
                selectors.with_urgency(Inquiry.objects.all(), state=state, now=now).values_list("pk", flat=True)
            )
            expected = {i.pk for i in inquiries if selectors.urgency(i, now=now).state == state}
            assert found == expected, (later, state)
            seen |= {state} if expected else set()
    assert seen == set(selectors.URGENCY_STATES)  # every state was met at least once
