"""The nightly forecast on the database: the history it reads, the fit it keeps, the predictions it
keeps only when the model beats the segments' curves, and the task and schedule that run it."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from journeys.onboarding.services.journeys import journey_start
from journeys.reports.forecasting import forecast_history, forecast_refresh
from journeys.reports.models import TtvForecast, TtvPrediction
from journeys.reports.tasks import journeys_forecast_ttv
from portal.models import Account, MilestoneKind
from tests.factories import (
    AccountFactory,
    AchievementFactory,
    MilestoneFactory,
    PublishedPlaybookFactory,
    SegmentFactory,
)

pytestmark = pytest.mark.django_db


def build(n: int, *, signal: bool, seed: int = 1) -> list:
    """``n`` accounts started over 300 days: on the standard plan they take about three times as long
    to reach first value as on pro when ``signal`` (in both segments, so the segments' curves cannot
    tell), as long otherwise."""
    rng = np.random.default_rng(seed)
    now = timezone.now()
    segments = [SegmentFactory(slug="smb", name="SMB"), SegmentFactory(slug="enterprise", name="Enterprise")]
    playbook = PublishedPlaybookFactory(step_count=0, segments=segments)
    milestone = MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    journeys = []
    for index in range(n):
        segment = segments[index % 2]
        started = now - timedelta(days=float(rng.uniform(5, 300)))
        plan = "pro" if index % 3 else "standard"
        account = AccountFactory(segment=segment, plan=plan, contract_start=started)
        journey = journey_start(account=account, playbook=playbook, started_at=started)
        scale = 10.0 * (3.0 if signal and plan == "standard" else 1.0)
        took = scale * float(rng.weibull(1.5))
        if started + timedelta(days=took) < now:
            AchievementFactory(journey=journey, milestone=milestone, achieved_at=started + timedelta(days=took))
        journeys.append(journey)
    return journeys


def test_the_history_has_every_journey_with_its_covariates_and_the_open_ones() -> None:
    journeys = build(12, signal=True)
    churned = journeys[0].account
    churned.status, churned.churned_at = Account.Status.CHURNED, timezone.now() - timedelta(days=1)
    churned.save(update_fields=["status", "churned_at"])
    history = forecast_history(kind=MilestoneKind.FIRST_VALUE, now=timezone.now())
    assert sorted(j.journey_id for j in history.journeys) == sorted(j.pk for j in journeys)
    by_id = {j.journey_id: j for j in history.journeys}
    first = by_id[journeys[1].pk]
    assert (first.segment, first.plan, first.investment, first.target_days) == ("enterprise", "pro", 600_000.0, 21.0)
    assert first.playbook.endswith(":v1")
    waiting = {j.journey_id for j in history.journeys if not j.reached}
    assert history.open_ids == waiting - {journeys[0].pk}
    assert history.accounts[journeys[1].pk] == journeys[1].account_id


def test_a_model_that_beats_the_curves_keeps_a_prediction_for_every_open_journey() -> None:
    build(240, signal=True)
    old = forecast_refresh()
    forecast = forecast_refresh()
    assert forecast.ships and forecast.reason == TtvForecast.Reason.BETTER
    assert forecast.ibs_model < forecast.ibs_baseline
    assert forecast.coefficients["plan=standard"] > 0.5  # pro is the common plan: standard takes longer
    assert forecast.calibration and forecast.seconds > 0
    history = forecast_history(kind=MilestoneKind.FIRST_VALUE, now=timezone.now())
    predictions = TtvPrediction.objects.filter(forecast=forecast)
    assert predictions.count() == len(history.open_ids) > 0
    assert not TtvPrediction.objects.filter(forecast=old).exists()  # only the newest fit keeps them
    assert TtvForecast.objects.filter(pk=old.pk).exists()  # its figures stay
    for item in predictions.select_related("journey"):
        assert item.account_id == item.journey.account_id
        assert item.median_at is None or item.median_at > item.journey.started_at
        assert set(item.by_day) == {"30", "60", "90"}
        assert all(0.0 <= chance <= 1.0 for chance in item.by_day.values())
        assert len(item.drivers) <= 3
        assert all(math.isfinite(driver["factor"]) for driver in item.drivers)


def test_without_signal_the_fit_is_kept_but_nothing_is_predicted() -> None:
    build(240, signal=False, seed=3)
    forecast = forecast_refresh()
    assert not forecast.ships
    assert forecast.reason == TtvForecast.Reason.NOT_BETTER
    assert forecast.ibs_model is not None and forecast.ibs_baseline is not None
    assert not TtvPrediction.objects.exists()


def test_the_task_runs_the_forecast_and_beat_runs_the_task_nightly() -> None:
    from django_celery_beat.models import PeriodicTask

    build(20, signal=True)
    result = journeys_forecast_ttv.delay().get()
    assert result == {"ships": False, "reason": "few-reached", "predictions": 0}
    assert TtvForecast.objects.get().reason == TtvForecast.Reason.FEW_REACHED
    task = PeriodicTask.objects.get(task="journeys.tasks.journeys_forecast_ttv")
    assert (task.enabled, task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        True, "2", "30", "Asia/Tokyo",
    )  # fmt: skip
