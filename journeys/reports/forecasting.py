"""The nightly forecast of time to value: the journeys' history read from the database, the model of
``journeys.reports.prediction`` scored and fitted on it, and what it predicts for each open journey
kept (``TtvForecast``, ``TtvPrediction``) — only when it beats the segments' Kaplan-Meier curves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from journeys.onboarding.models import Journey
from journeys.reports import prediction
from journeys.reports.measurement import ttv_rows
from journeys.reports.models import TtvForecast, TtvPrediction
from portal.models import MilestoneKind

BATCH = 1000


@dataclass(frozen=True)
class History:
    journeys: list[prediction.Journey]
    accounts: dict[int, int]  # journey id -> account id
    open_ids: set[int]  # journeys still waiting, of accounts still customers


def forecast_history(*, kind: str, now: datetime) -> History:
    """Every journey measured for ``kind`` as of ``now`` with its covariates: two queries."""
    rows = ttv_rows(kind=kind, now=now)
    covariates = {
        pk: (plan, investment, key, version, churned_at)
        for pk, plan, investment, key, version, churned_at in Journey.objects.filter(started_at__lte=now)
        .values_list(
            "pk", "account__plan", "account__investment_amount", "playbook__key", "playbook__version",
            "account__churned_at",
        )
        .iterator(chunk_size=5000)
    }  # fmt: skip
    journeys, accounts, open_ids = [], {}, set()
    for row in rows:
        plan, investment, key, version, churned_at = covariates[row.journey_id]
        journeys.append(
            prediction.Journey(
                journey_id=row.journey_id,
                segment=row.segment_slug,
                plan=plan,
                investment=float(investment) if investment is not None else None,
                playbook=f"{key}:v{version}",
                started_at=row.started_at,
                duration=row.calendar_days,
                reached=not row.censored,
                target_days=float(row.target_days) if row.target_days is not None else None,
            )
        )
        accounts[row.journey_id] = row.account_id
        if row.censored and churned_at is None:
            open_ids.add(row.journey_id)
    return History(journeys=journeys, accounts=accounts, open_ids=open_ids)


def forecast_refresh(*, kind: str = MilestoneKind.FIRST_VALUE, now: datetime | None = None) -> TtvForecast:
    """Score the model on the history of ``kind``, and when it ships, fit it on all of it and keep its
    predictions for the open journeys, in place of the last ones; the fit's figures are kept either
    way. Returns the new ``TtvForecast``."""
    now = now or timezone.now()
    began = time.perf_counter()
    history = forecast_history(kind=kind, now=now)
    evaluation = prediction.evaluate(history.journeys)
    model = prediction.fit(history.journeys) if evaluation.ships else None
    waiting = [journey for journey in history.journeys if journey.journey_id in history.open_ids]
    predicted = prediction.predict(model, waiting) if model is not None else []
    starts = {journey.journey_id: journey.started_at for journey in waiting}
    with transaction.atomic():
        forecast = TtvForecast.objects.create(
            kind=kind,
            fitted_at=now,
            journeys=len(history.journeys),
            n_train=evaluation.n_train,
            n_test=evaluation.n_test,
            reached_train=evaluation.reached_train,
            ibs_model=evaluation.ibs_model,
            ibs_baseline=evaluation.ibs_baseline,
            c_index=evaluation.c_index,
            calibration=[band.__dict__ for band in evaluation.calibration],
            coefficients=model.coefficients() if model is not None else {},
            ships=evaluation.ships,
            reason=evaluation.reason,
        )
        TtvPrediction.objects.filter(forecast__kind=kind).exclude(forecast=forecast).delete()

        def moment(journey_id: int, days: float | None) -> datetime | None:
            return starts[journey_id] + timedelta(days=days) if days is not None else None

        TtvPrediction.objects.bulk_create(
            [
                TtvPrediction(
                    forecast=forecast,
                    journey_id=item.journey_id,
                    account_id=history.accounts[item.journey_id],
                    waited_days=item.waited,
                    median_at=moment(item.journey_id, item.median_days),
                    low_at=moment(item.journey_id, item.low_days),
                    high_at=moment(item.journey_id, item.high_days),
                    within_target=item.within_target,
                    by_day={str(day): chance for day, chance in item.by_day.items()},
                    drivers=[driver.__dict__ for driver in item.drivers],
                )
                for item in predicted
            ],
            batch_size=BATCH,
        )
        forecast.seconds = time.perf_counter() - began
        forecast.save(update_fields=["seconds"])
    return forecast
