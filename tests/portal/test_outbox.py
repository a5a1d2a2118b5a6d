"""The outbox: a task is recorded with the change that needs it, published after the commit, and
published later by the sweep when the broker did not take it."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from portal import outbox, services
from portal.models import Invitation, OutboxMessage
from portal.tasks import invitation_send_email, outbox_sweep
from tests.conftest import World
from tests.workers import broker_at, closed_port

pytestmark = pytest.mark.django_db


def invite(world: World, email: str) -> services.IssuedInvitation:
    return services.invitation_create(
        account=world.account_a, email=email, role="customer_member", invited_by=world.customer_admin_a
    )


def test_a_rolled_back_change_leaves_no_task(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        invite(world, "gone@alpha.example")
        raise RuntimeError("something later in the request failed")
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_a_committed_change_publishes_its_task_after_the_commit(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issued = invite(world, "new@alpha.example")
    message = OutboxMessage.objects.get()
    assert (message.task, message.args, message.published_at) == (
        services.INVITATION_SEND_EMAIL,
        [issued.invitation.pk, issued.token, "ja"],
        None,
    )
    assert message.available_at >= message.created_at + outbox.RELAY_GRACE  # the relay's, not yet the sweep's
    assert outbox.outbox_sweep().published == 0
    assert mail.outbox == []

    callbacks[0]()  # the commit
    message.refresh_from_db()
    assert message.published_at is not None and message.attempts == 0
    assert [m.to for m in mail.outbox] == [["new@alpha.example"]]
    # Done, the row keeps no arguments: the invitation's token is not left lying in the table.
    assert (message.args, message.kwargs) == ([], {})


def test_the_broker_down_the_change_stands_and_the_sweep_publishes_it_later(
    world: World, django_capture_on_commit_callbacks, caplog
) -> None:
    with (
        broker_at(f"redis://127.0.0.1:{closed_port()}/0"),
        caplog.at_level(logging.WARNING, logger="portal.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        issued = invite(world, "later@alpha.example")  # no exception: the relay logs and leaves it
    assert Invitation.objects.filter(pk=issued.invitation.pk).exists()
    message = OutboxMessage.objects.get()
    assert message.published_at is None and message.attempts == 1
    assert message.available_at <= timezone.now()  # the next sweep's
    assert "OperationalError" in message.last_error
    assert "was not published" in caplog.text
    assert mail.outbox == []

    # The sweep with the broker still down: the row waits longer each time.
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"):
        assert outbox.outbox_sweep().failed == 1
    message.refresh_from_db()
    assert message.attempts == 2 and message.published_at is None
    assert message.available_at > timezone.now() + outbox.backoff(1)

    # The broker back, at the row's next try: published once, and never again.
    later = timezone.now() + outbox.backoff(2)
    assert outbox.outbox_sweep(now=later).published == 1
    assert outbox.outbox_sweep(now=later).published == 0
    assert [m.to for m in mail.outbox] == [["later@alpha.example"]]
    assert f"/invite/{issued.token}/" in mail.outbox[0].body
    message.refresh_from_db()
    assert (message.args, message.kwargs) == ([], {})


def test_the_relay_stops_at_the_first_refusal_and_leaves_the_rest(django_capture_on_commit_callbacks) -> None:
    with broker_at(f"redis://127.0.0.1:{closed_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_many("portal.tasks.housekeeping", [[], [], []])
    assert list(OutboxMessage.objects.values_list("attempts", "published_at")) == [(1, None)] * 3


def test_backoff_doubles_up_to_half_an_hour() -> None:
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert outbox.backoff(50) == timedelta(minutes=30)


def test_published_rows_are_pruned_after_their_retention(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_many("portal.tasks.housekeeping", [[], []])
    old, recent = OutboxMessage.objects.order_by("pk")
    three_days_ago = timezone.now() - timedelta(days=3)
    OutboxMessage.objects.filter(pk=old.pk).update(published_at=three_days_ago, done_at=three_days_ago)
    waiting = OutboxMessage.objects.create(
        task="portal.tasks.housekeeping", created_at=timezone.now() - timedelta(days=9)
    )
    result = outbox_sweep.delay().get()
    assert result["pruned"] == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}
    waiting.refresh_from_db()
    assert waiting.published_at is not None  # an unpublished one is published, however old


def test_a_message_the_broker_lost_is_published_again_until_a_worker_has_run_it(
    world: World, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issued = invite(world, "lost@alpha.example")
    message = OutboxMessage.objects.get()
    # The broker took it, then lost it (a Redis restarted without persistence): published, never done.
    message.published_at, message.deliveries = timezone.now() - outbox.REDELIVER_AFTER, 1
    message.save()
    callbacks.clear()
    assert outbox.outbox_sweep(now=timezone.now() - timedelta(minutes=1)).redelivered == 0  # not yet

    result = outbox.outbox_sweep()

    assert result.redelivered == 1
    message.refresh_from_db()
    assert message.deliveries == 2 and message.done_at is not None
    assert (message.args, message.kwargs) == ([], {})  # done: the token is no longer in the table
    assert [m.to for m in mail.outbox] == [["lost@alpha.example"]]
    assert f"/invite/{issued.token}/" in mail.outbox[0].body
    assert outbox.outbox_sweep().redelivered == 0
    # Not done after the last delivery: given up, kept until the retention, then pruned.
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=None, deliveries=outbox.MAX_DELIVERIES)
    assert outbox.outbox_sweep().redelivered == 0
    assert outbox.outbox_sweep(now=timezone.now() + outbox.PUBLISHED_RETENTION + outbox.REDELIVER_AFTER).pruned == 1


def test_the_sweep_runs_every_minute_from_the_database_schedule() -> None:
    for name in ("portal.tasks.outbox_sweep", "journeys.tasks.journeys_evaluate_due"):
        task = PeriodicTask.objects.get(task=name)
        assert task.enabled and (task.interval.every, task.interval.period) == (1, "minutes")


@pytest.mark.django_db(transaction=True)
def test_a_row_another_sweeper_holds_is_left_to_it(django_capture_on_commit_callbacks) -> None:
    if not connection.features.has_select_for_update_skip_locked:
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer at a time)")
    now = timezone.now()
    held, free = OutboxMessage.objects.bulk_create(
        [OutboxMessage(task="portal.tasks.housekeeping", available_at=now - timedelta(minutes=1)) for _ in range(2)]
    )
    locked, release = threading.Event(), threading.Event()

    def other_sweeper() -> None:
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.filter(pk=held.pk).select_for_update())
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweeper)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert outbox.outbox_sweep().published == 1
    finally:
        release.set()
        thread.join(timeout=30)
    assert set(OutboxMessage.objects.exclude(published_at=None).values_list("pk", flat=True)) == {free.pk}


def test_an_invitation_delivered_twice_is_sent_once(world: World, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        issued = invite(world, "twice@alpha.example")
    assert invitation_send_email(issued.invitation.pk, issued.token, "en") is False
    assert len(mail.outbox) == 1
