"""The reply clock as the desk runs it: targets chosen per segment, plan and priority, deadlines in
business hours and on the calendar, paused while waiting on the customer, and a first reply's outcome
kept whatever happens after."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from portal.models import Account
from support.models import Inquiry, InquiryChange, Message
from support.services import inquiry_create, inquiry_reply, inquiry_set_status, reply_target_for
from tests.conftest import World
from tests.factories import BusinessCalendarFactory, ClosedDayFactory, ReplyTargetFactory

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# A Wednesday morning, and a Friday evening half an hour before closing.
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=TOKYO)
FRIDAY_EVENING = datetime(2026, 12, 4, 17, 30, tzinfo=TOKYO)


def ask(world: World, at: datetime, **kwargs: object) -> Inquiry:
    return inquiry_create(
        account=world.account_a, author=world.customer_a, subject="Import fails",
        body="The CSV import stops at row 2.", at=at, **kwargs,
    )  # fmt: skip


def test_asking_starts_the_first_reply_clock_with_the_default_targets(world: World) -> None:
    inquiry = ask(world, FRIDAY_EVENING)

    assert (inquiry.status, inquiry.clock, inquiry.clock_running_since) == ("new", "first", FRIDAY_EVENING)
    assert (inquiry.fast_minutes, inquiry.first_reply_minutes, inquiry.next_reply_minutes) == (60, 1440, 1440)
    # Fast: an hour of business hours (half an hour on Friday, half on Monday); target: 24 hours.
    assert inquiry.fast_due_at == datetime(2026, 12, 7, 9, 30, tzinfo=TOKYO)
    assert inquiry.due_at == FRIDAY_EVENING + timedelta(hours=24)
    assert list(inquiry.messages.values_list("kind", "body")) == [("customer", "The CSV import stops at row 2.")]


def test_the_most_specific_target_applies(world: World) -> None:
    account: Account = world.account_a
    ReplyTargetFactory(fast_minutes=120)
    segment = ReplyTargetFactory(segment=account.segment, fast_minutes=30)
    ReplyTargetFactory(segment=account.segment, priority="urgent", fast_minutes=15)
    ReplyTargetFactory(plan="enterprise" if account.plan != "enterprise" else "starter", fast_minutes=5)

    assert reply_target_for(account=account, priority="normal") == segment
    assert reply_target_for(account=account, priority="urgent").fast_minutes == 15
    assert ask(world, WEDNESDAY, priority="urgent").fast_minutes == 15


def test_a_fast_first_reply_is_kept_as_fast_and_waits_on_the_customer(world: World) -> None:
    inquiry = ask(world, WEDNESDAY)

    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Which file?", at=WEDNESDAY + timedelta(minutes=40))

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.clock, inquiry.due_at) == ("waiting", "", None)
    assert inquiry.first_replied_at == WEDNESDAY + timedelta(minutes=40)
    assert (inquiry.first_reply_fast, inquiry.first_reply_in_target) == (True, True)
    assert (inquiry.first_reply_seconds, inquiry.first_reply_business_seconds) == (2400.0, 2400.0)
    assert list(InquiryChange.objects.filter(inquiry=inquiry).values_list("old", "new")) == [("new", "waiting")]


def test_notes_and_automatic_messages_do_not_count_as_a_reply(world: World) -> None:
    inquiry = ask(world, WEDNESDAY)
    at = WEDNESDAY + timedelta(minutes=5)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Looks like the encoding", internal=True, at=at)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="We got your question.", automatic=True, at=at)

    inquiry.refresh_from_db()
    assert (inquiry.clock, inquiry.first_replied_at, inquiry.status) == ("first", None, "open")
    assert list(inquiry.messages.values_list("kind", "automatic")) == [
        ("customer", False), ("note", False), ("reply", True)
    ]  # fmt: skip


def test_a_reply_outside_business_hours_is_measured_in_both_clocks(world: World) -> None:
    inquiry = ask(world, FRIDAY_EVENING)

    # Monday 10:00: 64.5 hours on the calendar, 1.5 business hours (Friday 17:30-18:00, Monday 9-10).
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Fixed.", at=datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO))

    inquiry.refresh_from_db()
    assert inquiry.first_reply_seconds == 64.5 * 3600
    assert inquiry.first_reply_business_seconds == 1.5 * 3600
    assert (inquiry.first_reply_fast, inquiry.first_reply_in_target) == (False, False)


def test_waiting_on_the_customer_pauses_the_clock_and_their_answer_resumes_it(world: World) -> None:
    inquiry = ask(world, WEDNESDAY)
    inquiry_set_status(inquiry=inquiry, status="waiting", by=world.csm_a, at=WEDNESDAY + timedelta(minutes=20))
    inquiry.refresh_from_db()
    assert (inquiry.clock, inquiry.clock_running_since, inquiry.due_at, inquiry.fast_due_at) == (
        "first",
        None,
        None,
        None,
    )
    assert inquiry.clock_used_business_seconds == 1200.0

    answered = datetime(2026, 12, 3, 14, 0, tzinfo=TOKYO)  # Thursday afternoon
    inquiry_reply(inquiry=inquiry, by=world.customer_a, body="It is the file from Excel.", at=answered)

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.clock, inquiry.clock_running_since) == ("open", "first", answered)
    assert inquiry.fast_due_at == answered + timedelta(minutes=40)  # the 40 minutes it had left
    assert inquiry.due_at == answered + timedelta(hours=24) - timedelta(minutes=20)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Save it as UTF-8.", at=answered + timedelta(minutes=30))
    inquiry.refresh_from_db()
    assert inquiry.first_reply_business_seconds == 50 * 60 and inquiry.first_reply_fast is True


def test_a_customer_reply_after_an_answer_starts_the_next_reply_clock_and_reopens(world: World) -> None:
    inquiry = ask(world, WEDNESDAY)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Done.", status="solved", at=WEDNESDAY + timedelta(hours=2))
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.clock, inquiry.solved_at) == ("solved", "", WEDNESDAY + timedelta(hours=2))

    again = WEDNESDAY + timedelta(days=1)
    inquiry_reply(inquiry=inquiry, by=world.customer_a, body="It broke again.", at=again)

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.clock, inquiry.solved_at) == ("open", "next", None)
    assert (inquiry.due_at, inquiry.fast_due_at) == (again + timedelta(hours=24), None)
    # The first reply's outcome stays as it was.
    assert inquiry.first_replied_at == WEDNESDAY + timedelta(hours=2)


def test_a_late_first_reply_stays_late_when_the_targets_change_afterwards(world: World) -> None:
    target = ReplyTargetFactory(fast_minutes=30)
    inquiry = ask(world, WEDNESDAY)
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="Sorry for the wait.", at=WEDNESDAY + timedelta(hours=2))
    target.fast_minutes = 600
    target.save()
    inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Thanks", at=WEDNESDAY + timedelta(hours=3))
    inquiry_reply(inquiry=inquiry, by=world.csm_a, body="You're welcome", at=WEDNESDAY + timedelta(hours=3, minutes=5))

    inquiry.refresh_from_db()
    assert (inquiry.fast_minutes, inquiry.first_reply_fast, inquiry.first_reply_in_target) == (30, False, True)


def test_a_calendar_of_its_own_with_a_closed_day(world: World) -> None:
    calendar = BusinessCalendarFactory(hours=[(2, "10:00", "12:00"), (2, "13:00", "15:00"), (4, "10:00", "11:00")])
    ClosedDayFactory(calendar=calendar, day=date(2026, 12, 4))  # that Friday
    ReplyTargetFactory(calendar=calendar, fast_minutes=180)

    inquiry = ask(world, WEDNESDAY)

    # Wednesday 10-12 and 13-14 make three hours; the Friday is closed anyway.
    assert inquiry.fast_due_at == datetime(2026, 12, 2, 14, 0, tzinfo=TOKYO)
    late = ask(world, datetime(2026, 12, 2, 14, 30, tzinfo=TOKYO))
    # Half an hour on Wednesday, Friday closed, then the next Wednesday: 10-12 and half an hour after lunch.
    assert late.fast_due_at == datetime(2026, 12, 9, 13, 30, tzinfo=TOKYO)


def test_bad_input_is_refused_with_field_errors(world: World) -> None:
    with pytest.raises(ValidationError) as refused:
        inquiry_create(account=world.account_a, author=world.customer_a, subject=" ", body="", priority="asap")
    assert set(refused.value.message_dict) == {"subject", "body", "priority"}
    inquiry = ask(world, WEDNESDAY)
    with pytest.raises(ValidationError):
        inquiry_reply(inquiry=inquiry, by=world.csm_a, body="  ")
    with pytest.raises(ValidationError):
        inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Hidden?", internal=True)
    with pytest.raises(ValidationError):
        inquiry_set_status(inquiry=inquiry, status="new", by=world.csm_a)
    inquiry_set_status(inquiry=inquiry, status="closed", by=world.csm_a)
    with pytest.raises(ValidationError):
        inquiry_reply(inquiry=inquiry, by=world.customer_a, body="Reopen?")
    assert Message.objects.filter(inquiry=inquiry).count() == 1  # nothing refused was written
