"""The nightly risk evaluation: every account evaluated in chunks, kept, and changes noticed once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from journeys.automation.models import AccountRisk, AutomationSettings, Notification
from journeys.automation.selectors import risk_rules
from journeys.automation.services.risk import risk_evaluate
from journeys.automation.tasks import journeys_evaluate_risk
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.steps import step_set_status
from portal.preferences import preferences_update
from tests.conftest import World
from tests.factories import AccountFactory, AutomationSettingsFactory
from tests.journeys.workspace.test_portfolio import onboarding
from tests.queries import assert_max_queries, assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def test_risks_are_kept_and_a_turn_is_noticed_once(world: World) -> None:
    playbook = onboarding()
    segment = world.account_a.segment
    late = AccountFactory(name="Late", segment=segment)
    journey = journey_start(account=late, playbook=playbook, started_at=timezone.now() - timedelta(days=3))
    fine = AccountFactory(name="Fine", segment=segment)
    fine_journey = journey_start(account=fine, playbook=playbook, started_at=timezone.now())
    step_set_status(state=fine_journey.step_states.get(step_key="setup"), status="done", by=None)

    first = risk_evaluate()
    kept = {r.account.name: r for r in AccountRisk.objects.select_related("account")}
    assert kept["Late"].risk == "on_track" and kept["Fine"].risk == "on_track"
    assert kept["Alpha KK"].risk == "no_journey"
    assert first.evaluated == 4 and first.turned == []

    # Six days later "Set up" (due on day 5) is late: Late turns behind, once.
    later = timezone.now() + timedelta(days=6)
    second = risk_evaluate(now=later)
    assert second.turned == [late.pk]
    row = AccountRisk.objects.get(account=late)
    assert (row.risk, row.since) == ("behind", later) and "Set up" in row.reason
    assert risk_evaluate(now=later + timedelta(hours=1)).turned == []  # still behind: not again
    assert AccountRisk.objects.get(account=late).since == later

    step_set_status(state=journey.step_states.get(step_key="setup"), status="done", by=None)
    third = risk_evaluate(now=later + timedelta(hours=2))
    assert AccountRisk.objects.get(account=late).risk == "on_track" and third.turned == []


def test_a_chunk_costs_the_same_queries_for_few_and_many_accounts(world: World) -> None:
    playbook = onboarding()
    journey = journey_start(account=world.account_a, playbook=playbook)
    step_set_status(state=journey.step_states.get(step_key="setup"), status="done", by=world.csm_a)
    risk_rules()  # read once, then kept in the cache: not part of what a chunk costs
    with capture_queries() as few:
        risk_evaluate(chunk=100)  # alpha (and beta, without a journey)
    for i in range(30):
        account = AccountFactory(segment=world.account_a.segment)
        journey = journey_start(account=account, playbook=playbook, started_at=timezone.now() - timedelta(days=i))
        if i % 2:
            step_set_status(state=journey.step_states.get(step_key="setup"), status="done", by=None)
    AccountRisk.objects.all().delete()
    with capture_queries() as many:
        summary = risk_evaluate(chunk=100)
    assert summary.evaluated == 32
    assert_same_queries(few, many)
    with assert_max_queries(4 * len(few)):  # four chunks of eight, each no dearer than one chunk
        assert risk_evaluate(chunk=8).evaluated == 32
    counts = journeys_evaluate_risk.apply().get()
    assert sum(v for k, v in counts.items() if k not in ("changed", "turned")) == 32


def test_a_csm_is_told_once_a_day_when_accounts_turn_behind_or_stuck(
    world: World, django_capture_on_commit_callbacks
) -> None:
    playbook = onboarding()
    world.csm_a.language = "en"
    world.csm_a.save(update_fields=["language"])
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=40))
    journey_start(account=world.account_b, playbook=playbook, started_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        first = risk_evaluate()
    assert first.turned == [world.account_a.pk]
    (message,) = mail.outbox
    assert message.to == [world.csm_a.email] and "1 account needs you" in message.subject
    assert "Alpha KK (Stuck)" in message.body and "/accounts/alpha/" in message.body
    assert "Nothing has moved since" in message.body  # the reason in the recipient's language (en)
    assert "unsubscribe" in message.body.lower() or "Stop these e-mails" in message.body
    assert Notification.objects.get().kind == "risk"
    with django_capture_on_commit_callbacks(execute=True):
        risk_evaluate()  # nothing turned: nothing more
    # The next day account B turns behind ("Set up" due on day 5): a new e-mail, to B's CS manager.
    with django_capture_on_commit_callbacks(execute=True):
        later = risk_evaluate(now=timezone.now() + timedelta(days=6))
    assert later.turned == [world.account_b.pk]
    assert [m.to for m in mail.outbox] == [[world.csm_a.email], [world.csm_b.email]]


def test_account_alerts_respect_the_preferences(world: World, django_capture_on_commit_callbacks) -> None:
    playbook = onboarding()
    journey_start(account=world.account_a, playbook=playbook, started_at=timezone.now() - timedelta(days=40))
    preferences_update(user=world.csm_a, changes={"account_alerts": False})
    with django_capture_on_commit_callbacks(execute=True):
        assert risk_evaluate().turned == [world.account_a.pk]
    assert mail.outbox == [] and not Notification.objects.exists()


def test_the_risk_rules_are_read_once_and_forgotten_when_the_settings_change(world: World) -> None:
    default = risk_rules().stuck_after_days
    assert default not in (2, 9)
    with capture_queries() as again:
        risk_rules()
    assert len(again.captured_queries) == 0
    AutomationSettingsFactory(stuck_after_days=2)
    assert risk_rules().stuck_after_days == 2
    settings_row = AutomationSettings.objects.get()
    settings_row.stuck_after_days = 9
    settings_row.save()
    assert risk_rules().stuck_after_days == 9
    settings_row.delete()
    assert risk_rules().stuck_after_days == default
