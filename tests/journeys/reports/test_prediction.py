"""Predicted TTV on generated worlds whose true times depend (or not) on the covariates: the model
finds each covariate's direction, beats the segments' Kaplan-Meier curves on later journeys only
when there is something to find, and predicts what lifelines predicts."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from lifelines import WeibullAFTFitter

from journeys.reports import prediction
from journeys.reports.prediction import Journey

START = datetime(2025, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=400)
# log-time effects of the true world: a factor exp(effect) on the time to value.
SEGMENT_EFFECT = {"smb": 0.0, "mid": 0.5, "enterprise": 0.9}
PLAN_EFFECT = {"standard": 0.0, "pro": -0.6}
INVESTMENT_EFFECT = -0.3  # per unit of log1p(yen): more invested, sooner


def world(seed: int, n: int = 1500, *, signal: bool = True) -> list[Journey]:
    """Journeys started over 360 days, observed at NOW: Weibull times (shape 1.6, scale 20 days)
    stretched by the covariates' true effects, censored at NOW or by churn."""
    rng = np.random.default_rng(seed)
    journeys = []
    for index in range(n):
        segment = rng.choice(list(SEGMENT_EFFECT))
        plan = rng.choice(list(PLAN_EFFECT))
        investment = float(rng.choice([100_000, 1_000_000, 10_000_000]))
        playbook = rng.choice(["onboarding:v1", "onboarding:v2"])
        effect = SEGMENT_EFFECT[segment] + PLAN_EFFECT[plan] + INVESTMENT_EFFECT * (math.log1p(investment) - 13.8)
        scale = 20.0 * math.exp(effect if signal else 0.0)
        true_time = scale * rng.weibull(1.6)
        started = START + timedelta(days=float(rng.uniform(0, 360)))
        observed = (NOW - started).total_seconds() / 86400
        churn = float(rng.exponential(400))
        until = min(observed, churn)
        journeys.append(
            Journey(
                journey_id=index,
                segment=str(segment),
                plan=str(plan),
                investment=investment,
                playbook=str(playbook),
                started_at=started,
                duration=min(true_time, until),
                reached=true_time <= until,
                target_days=30.0,
            )
        )
    return journeys


def test_the_model_finds_the_direction_of_every_covariate() -> None:
    model = prediction.fit(world(1))
    assert model is not None
    beta = model.coefficients()
    # Against the reference level (the most common): the signs of the true differences.
    levels = model.levels
    for category, effects in (("segment", SEGMENT_EFFECT), ("plan", PLAN_EFFECT)):
        reference = levels[category][0]
        for level in levels[category][1:]:
            truth = effects[level] - effects[reference]
            assert np.sign(beta[f"{category}={level}"]) == np.sign(truth), (category, level, beta)
    assert beta["investment"] < 0
    # The playbook version carries no effect in this world: small next to the real ones.
    versions = [column for column in beta if column.startswith("playbook=") and not column.endswith("other")]
    assert all(abs(beta[column]) < 0.2 for column in versions), beta


@pytest.mark.parametrize("seed", [2, 3])
def test_it_beats_the_segment_curves_on_later_journeys_when_the_covariates_matter(seed: int) -> None:
    evaluation = prediction.evaluate(world(seed))
    assert evaluation.ships, evaluation
    assert evaluation.reason == "better"
    assert evaluation.ibs_model < evaluation.ibs_baseline * (1 - prediction.MIN_GAIN)
    assert 0.6 < evaluation.c_index <= 1.0
    assert (evaluation.n_train, evaluation.n_test) == (1050, 450)
    # Calibrated: in every band the predicted share reached by the horizon is near what happened.
    assert evaluation.calibration
    for band in evaluation.calibration:
        assert abs(band.predicted - band.observed) < 0.15, band


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_where_the_covariates_say_nothing_it_does_not_claim_to_beat_the_curve(seed: int) -> None:
    evaluation = prediction.evaluate(world(seed, signal=False))
    assert not evaluation.ships
    assert evaluation.reason == "not-better"
    assert evaluation.ibs_model is not None and evaluation.ibs_baseline is not None


def test_too_few_reached_journeys_fit_nothing() -> None:
    few = world(7, n=60)
    assert sum(journey.reached for journey in few[:42]) < prediction.MIN_REACHED
    assert prediction.fit(few[:42]) is None
    evaluation = prediction.evaluate(few)
    assert (evaluation.ships, evaluation.reason, evaluation.ibs_model) == (False, "few-reached", None)


def test_predictions_are_lifelines_given_the_time_already_waited() -> None:
    journeys = world(8)
    model = prediction.fit(journeys)
    assert model is not None
    waiting = [journey for journey in journeys if not journey.reached][:25]
    predicted = prediction.predict(model, waiting)

    # The same model straight from lifelines, on the same columns.
    frame = prediction._design(journeys, model.levels, model.investment_median)[model.columns]
    frame["duration"] = [max(journey.duration, prediction.SHORTEST) for journey in journeys]
    frame["reached"] = [journey.reached for journey in journeys]
    fitter = WeibullAFTFitter(penalizer=prediction.PENALIZER).fit(frame, "duration", "reached")
    rows = prediction._design(waiting, model.levels, model.investment_median)[model.columns]
    waited = [journey.duration for journey in waiting]
    medians = fitter.predict_median(rows, conditional_after=waited)
    for index, (journey, figure) in enumerate(zip(waiting, predicted, strict=True)):
        assert figure.waited == journey.duration
        expected = journey.duration + float(medians.iloc[index])
        if figure.median_days is None:
            assert expected > model.horizon  # past the data: no date, only probabilities
        else:
            assert figure.median_days == pytest.approx(expected, rel=1e-6)
            assert figure.low_days is None or figure.low_days <= figure.median_days
            assert figure.high_days is None or figure.high_days >= figure.median_days
        # P(value by day 90 | waited) from lifelines' conditional survival.
        ahead = 90 - journey.duration
        if ahead > 0:
            row = rows.iloc[[index]]
            survival = fitter.predict_survival_function(row, times=[ahead], conditional_after=[journey.duration])
            assert figure.by_day[90] == pytest.approx(1 - float(survival.iloc[0, 0]), abs=1e-9)
        else:
            assert figure.by_day[90] == 0.0
        assert 0.0 <= figure.by_day[30] <= figure.by_day[60] <= figure.by_day[90] <= 1.0
        assert figure.within_target is not None and 0.0 <= figure.within_target <= 1.0
        assert len(figure.drivers) <= 3
        factors = [abs(math.log(driver.factor)) for driver in figure.drivers]
        assert factors == sorted(factors, reverse=True)


def test_a_journey_that_waited_longer_is_predicted_later_but_not_less_likely_to_have_passed() -> None:
    model = prediction.fit(world(9))
    assert model is not None
    base = dict(journey_id=1, segment="mid", plan="standard", investment=1_000_000.0, playbook="onboarding:v1",
                started_at=START, reached=False, target_days=30.0)  # fmt: skip
    early, late = prediction.predict(model, [Journey(duration=2.0, **base), Journey(duration=25.0, **base)])
    assert early.median_days is not None and late.median_days is not None
    assert late.median_days > early.median_days > 2.0
    assert late.within_target < early.within_target  # five days left of the target, against 28


def test_rare_levels_share_one_column() -> None:
    journeys = world(10, n=400)
    rare = [Journey(**{**journey.__dict__, "plan": f"custom-{index}"}) for index, journey in enumerate(journeys[:5])]
    model = prediction.fit([*rare, *journeys[5:]])
    assert model is not None
    assert not any(column.startswith("plan=custom") for column in model.columns)
    design = prediction._design(rare, model.levels, model.investment_median)
    assert isinstance(design, pd.DataFrame)
    assert design["plan=other"].tolist() == [1.0] * 5
