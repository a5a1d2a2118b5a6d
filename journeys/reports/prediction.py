"""Predicted time to value per journey, and whether the prediction beats the simple curve.

A Weibull accelerated-failure-time model (lifelines' ``WeibullAFTFitter``) on what is known of an
account when its journey starts — its segment, plan, investment and playbook version — fitted on the
history of every journey, those still waiting included (censored at how long they have waited). Each
open journey is then asked about *given how long it has already waited* (``conditional_after``): a
journey 40 days in is not predicted as if it had just begun.

Why this model: an AFT model says "this covariate makes the time to value k times longer", which a
CS manager can read as a driver; lifelines fits it on censored data and conditions its predictions
on the time already waited. scikit-survival serves only for the integrated Brier score (with its
inverse-probability-of-censoring weights), which lifelines lacks.

It ships only if it beats the baseline on accounts it did not see: fitted on the journeys started
before a cut-off, it must score a lower integrated Brier score on the later ones than each
segment's Kaplan-Meier curve fitted on the same earlier journeys (today's expected-TTV figure), by
at least ``MIN_GAIN``, with at least ``MIN_REACHED`` journeys that reached value to learn from.
Otherwise the product keeps the Kaplan-Meier figure and says why (``Evaluation.reason``).

Everything here is pure: journeys in, figures out. Reading the journeys from the database, keeping
the fits and the nightly task live beside it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# lifelines, scikit-survival and pandas are imported where they are used: together they take some
# two seconds to import, which every process that loads the tasks would pay for a nightly job.

# Fewer journeys that reached value than this and no model is fitted: the curve is all there is.
MIN_REACHED = 50
# The model must lower the baseline's integrated Brier score by this share to ship: on a world where
# the covariates say nothing, chance alone must not make it "better".
MIN_GAIN = 0.02
# A level (a segment, a plan, a playbook version) with fewer journeys joins "other".
MIN_LEVEL = 20
# The earliest share of journeys (by start) the evaluation fits on; the rest are scored.
TRAIN_SHARE = 0.7
# The 80% interval: between the times when 10% and 90% of such journeys have reached value.
INTERVAL = (0.9, 0.1)
HORIZONS = (30, 60, 90)
SHORTEST = 1e-3  # days: a Weibull time must be above 0
PENALIZER = 0.01
CATEGORIES = ("segment", "plan", "playbook")


@dataclass(frozen=True, kw_only=True)
class Journey:
    """One journey as the model sees it: its covariates, and how long it took or has waited."""

    journey_id: int
    segment: str
    plan: str
    investment: float | None  # in yen; None: not recorded
    playbook: str  # key and version, e.g. "onboarding:v2"
    started_at: datetime
    duration: float  # days to value, or waited so far
    reached: bool
    target_days: float | None = None


@dataclass(frozen=True)
class Driver:
    """What moves one journey's expected time: ``factor`` > 1 makes it longer, < 1 shorter, than the
    reference journey (the most common segment, plan and version, the median investment)."""

    covariate: str  # "segment", "plan", "playbook" or "investment"
    level: str  # the journey's level, or its investment
    factor: float


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """For an open journey, from its start: when it will probably reach value, given it has waited
    ``waited`` days. Days past the data's horizon are None; the probabilities still say something."""

    journey_id: int
    waited: float
    median_days: float | None
    low_days: float | None  # 10% of such journeys will have reached value by then
    high_days: float | None  # 90%
    within_target: float | None  # P(value within its target | waited so far); None without a target
    by_day: dict[int, float]  # P(value by day 30, 60, 90 from the start | waited so far)
    drivers: list[Driver]


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """One band of scored journeys: the mean predicted P(value by ``horizon``) against what
    happened (1 - Kaplan-Meier at ``horizon`` over the band's journeys)."""

    horizon: int
    n: int
    predicted: float
    observed: float


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    n_train: int
    n_test: int
    reached_train: int
    ibs_model: float | None
    ibs_baseline: float | None
    c_index: float | None
    calibration: list[Calibration] = field(default_factory=list)
    ships: bool
    # Why it does or does not ship: "few-reached", "none-reached-later", "short-follow-up",
    # "not-better" or "better"; the pages say it in the reader's language.
    reason: str


@dataclass
class Model:
    """A fitted model with what it needs to turn journeys into its columns."""

    fitter: Any  # lifelines' WeibullAFTFitter, fitted
    levels: dict[str, list[str]]  # per category, the levels with a column (the first is the reference)
    investment_median: float
    horizon: float  # the longest duration seen: past it the model extrapolates
    columns: list[str]

    def coefficients(self) -> dict[str, float]:
        """Per column, the log of the factor it multiplies the expected time by."""
        params = self.fitter.params_["lambda_"]
        return {column: float(params[column]) for column in self.columns}


def fit(journeys: Sequence[Journey]) -> Model | None:
    """The model fitted on ``journeys``; None with fewer than ``MIN_REACHED`` that reached value."""
    from lifelines import WeibullAFTFitter

    if sum(journey.reached for journey in journeys) < MIN_REACHED:
        return None
    levels = _levels(journeys)
    investments = [journey.investment for journey in journeys if journey.investment is not None]
    median = float(np.median(np.log1p(investments))) if investments else 0.0
    frame = _design(journeys, levels, median)
    columns = [column for column in frame.columns if frame[column].nunique() > 1]
    frame = frame[columns]
    frame["duration"] = [max(journey.duration, SHORTEST) for journey in journeys]
    frame["reached"] = [journey.reached for journey in journeys]
    fitter = WeibullAFTFitter(penalizer=PENALIZER)
    fitter.fit(frame, duration_col="duration", event_col="reached")
    horizon = max(journey.duration for journey in journeys)
    return Model(fitter=fitter, levels=levels, investment_median=median, horizon=horizon, columns=columns)


def predict(model: Model, journeys: Sequence[Journey]) -> list[Prediction]:
    """For each open journey, its prediction given how long it has waited (``duration``)."""
    if not journeys:
        return []
    frame = _design(journeys, model.levels, model.investment_median)[model.columns]
    waited = np.array([journey.duration for journey in journeys], dtype=np.float64)
    fitter = model.fitter
    # Remaining times from now, given the time waited; from the start, they are waited + remaining.
    bounds = {}
    for name, p in (("median", 0.5), ("low", INTERVAL[0]), ("high", INTERVAL[1])):
        bounds[name] = np.asarray(fitter.predict_percentile(frame, p=p, conditional_after=waited), dtype=float)
    # P(value by day D from the start | waited w) = 1 - S(D) / S(w): 0 for a day already past.
    scale, shape = _weibull(model, frame)
    waited_share = _survival(scale, shape, waited)
    by_day = {}
    for day in HORIZONS:
        by_day[day] = _reach_by(scale, shape, waited, waited_share, np.full(len(journeys), float(day)))
    targets = np.array([np.nan if j.target_days is None else j.target_days for j in journeys], dtype=np.float64)
    within = _reach_by(scale, shape, waited, waited_share, np.nan_to_num(targets))
    contributions = _contributions(model, frame)
    predictions = []
    for index, journey in enumerate(journeys):
        predictions.append(
            Prediction(
                journey_id=journey.journey_id,
                waited=journey.duration,
                median_days=_within_horizon(journey.duration + bounds["median"][index], model.horizon),
                low_days=_within_horizon(journey.duration + bounds["low"][index], model.horizon),
                high_days=_within_horizon(journey.duration + bounds["high"][index], model.horizon),
                within_target=None if np.isnan(targets[index]) else float(within[index]),
                by_day={day: float(chances[index]) for day, chances in by_day.items()},
                drivers=_drivers(model, journey, contributions[index]),
            )
        )
    return predictions


def _weibull(model: Model, frame: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Each journey's Weibull scale (lambda, in days) and the shape (rho) of the fitted model, from
    its parameters as lifelines defines them: log lambda = x . beta + intercept, rho = exp(its one
    parameter)."""
    params = model.fitter.params_
    beta = np.array([params["lambda_"][column] for column in model.columns], dtype=np.float64)
    log_scale = frame.to_numpy(dtype=np.float64) @ beta + float(params["lambda_"]["Intercept"])
    return np.exp(log_scale), float(np.exp(params["rho_"]["Intercept"]))


def _survival(scale: np.ndarray, shape: float, days: np.ndarray) -> np.ndarray:
    """S(days) of each journey's Weibull curve: the share not yet reached by then."""
    return np.asarray(np.exp(-((np.maximum(days, 0.0) / scale) ** shape)), dtype=np.float64)


def _reach_by(
    scale: np.ndarray, shape: float, waited: np.ndarray, waited_share: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """P(value by ``day`` from the start | not reached after ``waited``); 0 where the day is past."""
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = 1.0 - _survival(scale, shape, day) / waited_share
    return np.where(day > waited, np.nan_to_num(chance, nan=1.0), 0.0)


def evaluate(journeys: Sequence[Journey]) -> Evaluation:
    """Fit on the earliest ``TRAIN_SHARE`` of the journeys by start, score the rest: the integrated
    Brier score of the model and of each segment's Kaplan-Meier curve, the C-index, a calibration
    table, and whether the model ships."""
    from lifelines.utils import concordance_index
    from sksurv.metrics import integrated_brier_score

    ordered = sorted(journeys, key=lambda journey: (journey.started_at, journey.journey_id))
    cut = int(len(ordered) * TRAIN_SHARE)
    train, test = ordered[:cut], ordered[cut:]
    reached_train = sum(journey.reached for journey in train)

    def verdict(reason: str, **figures: Any) -> Evaluation:
        return Evaluation(
            n_train=len(train), n_test=len(test), reached_train=reached_train, ships=False, reason=reason,
            **{"ibs_model": None, "ibs_baseline": None, "c_index": None, **figures},
        )  # fmt: skip

    if reached_train < MIN_REACHED:
        return verdict("few-reached")
    model = fit(train)
    assert model is not None
    if not any(journey.reached for journey in test):
        return verdict("none-reached-later")
    times = _score_times(train, test)
    if times is None:
        return verdict("short-follow-up")
    frame = _design(test, model.levels, model.investment_median)[model.columns]
    curves = model.fitter.predict_survival_function(frame, times=times)
    predicted = np.asarray(curves, dtype=float).T  # (journeys, times)
    baseline = _baseline(train, test, times)
    train_y = _surv(train)
    # The censoring is estimated from the earlier journeys: the later ones are followed up to the
    # longest of those, where the scoring times end anyway.
    test_y = _surv(test, until=float(np.nextafter(max(journey.duration for journey in train), 0.0)))
    ibs_model = float(integrated_brier_score(train_y, test_y, predicted, times))
    ibs_baseline = float(integrated_brier_score(train_y, test_y, baseline, times))
    medians = np.asarray(model.fitter.predict_median(frame), dtype=float)
    c_index = float(
        concordance_index(
            [journey.duration for journey in test], np.nan_to_num(medians, posinf=1e12), [j.reached for j in test]
        )
    )
    calibration = _calibration(model, test, frame)
    ships = ibs_model <= ibs_baseline * (1 - MIN_GAIN)
    return Evaluation(
        n_train=len(train), n_test=len(test), reached_train=reached_train, ibs_model=ibs_model,
        ibs_baseline=ibs_baseline, c_index=c_index, calibration=calibration, ships=ships,
        reason="better" if ships else "not-better",
    )  # fmt: skip


# --- Columns ---------------------------------------------------------------------------------------


def _levels(journeys: Sequence[Journey]) -> dict[str, list[str]]:
    """Per category, the levels with enough journeys, the most common first (the reference)."""
    found = {}
    for category in CATEGORIES:
        counts = Counter(getattr(journey, category) for journey in journeys)
        kept = [level for level, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                if count >= MIN_LEVEL]  # fmt: skip
        found[category] = kept
    return found


def _column(category: str, level: str) -> str:
    return f"{category}={level}"


def _design(journeys: Sequence[Journey], levels: dict[str, list[str]], investment_median: float) -> pd.DataFrame:
    """One column per level but the reference (1 for the journey's level), "other" for rare levels,
    and the log of the investment (the median where none is recorded)."""
    import pandas as pd

    columns: dict[str, list[float]] = {}
    for category in CATEGORIES:
        known = levels[category]
        for level in [*known[1:], "other"]:
            columns[_column(category, level)] = [
                1.0 if (getattr(j, category) if getattr(j, category) in known else "other") == level else 0.0
                for j in journeys
            ]
    columns["investment"] = [
        math.log1p(journey.investment) if journey.investment is not None else investment_median for journey in journeys
    ]
    return pd.DataFrame(columns)


def _contributions(model: Model, frame: pd.DataFrame) -> np.ndarray:
    """Per journey and column, its part of log lambda against the reference journey (the most common
    levels, the median investment): coefficient x (value - reference value)."""
    values = frame.to_numpy(dtype=np.float64).copy()
    if "investment" in model.columns:
        values[:, model.columns.index("investment")] -= model.investment_median
    coefficients = np.array([model.coefficients()[column] for column in model.columns], dtype=np.float64)
    return np.asarray(values * coefficients, dtype=np.float64)


def _drivers(model: Model, journey: Journey, effects: np.ndarray) -> list[Driver]:
    """The three covariates that move this journey's expected time the most, as factors."""
    found = []
    for column, effect in zip(model.columns, effects.tolist(), strict=True):
        if not effect:
            continue
        if column == "investment":
            category, level = "investment", f"{journey.investment:,.0f}" if journey.investment is not None else ""
        else:
            category, _sep, level = column.partition("=")
        found.append((abs(effect), category, level, math.exp(effect)))
    found.sort(key=lambda item: -item[0])
    return [Driver(covariate=category, level=level, factor=factor) for _size, category, level, factor in found[:3]]


# --- Scoring ---------------------------------------------------------------------------------------


def _within_horizon(days: float, horizon: float) -> float | None:
    return float(days) if math.isfinite(days) and days <= horizon else None


def _score_times(train: Sequence[Journey], test: Sequence[Journey]) -> np.ndarray | None:
    """The times the Brier score is integrated over: within the later journeys' follow-up, from the
    5th to the 90th percentile of their durations (the estimate of censoring thins out beyond), and
    before the earlier journeys' longest (the censoring is estimated from them)."""
    durations = np.array([journey.duration for journey in test], dtype=float)
    low, high = np.percentile(durations, [5, 90])
    high = min(high, np.nextafter(max(journey.duration for journey in train), 0.0))
    if not high > low:
        return None
    return np.linspace(max(low, SHORTEST), high, 40)


def _surv(journeys: Sequence[Journey], until: float = math.inf) -> np.ndarray:
    """Outcomes as scikit-survival takes them, followed up to ``until`` at most (a journey still
    waiting, or reaching value, after it counts as waiting at ``until``)."""
    from sksurv.util import Surv

    times = [min(max(journey.duration, SHORTEST), until) for journey in journeys]
    return Surv.from_arrays(event=[journey.reached and journey.duration <= until for journey in journeys], time=times)


def _baseline(train: Sequence[Journey], test: Sequence[Journey], times: np.ndarray) -> np.ndarray:
    """Each later journey's segment curve (Kaplan-Meier on the earlier journeys of its segment; all of
    them for a segment the earlier ones did not have), at ``times``."""
    from lifelines import KaplanMeierFitter

    curves: dict[str | None, np.ndarray] = {}
    by_segment: dict[str | None, list[Journey]] = {None: list(train)}
    for journey in train:
        by_segment.setdefault(journey.segment, []).append(journey)
    for segment, members in by_segment.items():
        fitter = KaplanMeierFitter().fit([j.duration for j in members], [j.reached for j in members])
        curves[segment] = np.asarray(fitter.survival_function_at_times(times), dtype=float)
    return np.array([curves.get(journey.segment, curves[None]) for journey in test])


def _calibration(model: Model, test: Sequence[Journey], frame: pd.DataFrame, bands: int = 5) -> list[Calibration]:
    """Per horizon, the scored journeys in ``bands`` bands of predicted P(value by the horizon)."""
    from lifelines import KaplanMeierFitter

    table = []
    durations = np.array([journey.duration for journey in test], dtype=float)
    reached = np.array([journey.reached for journey in test], dtype=bool)
    for horizon in HORIZONS:
        if horizon > durations.max():
            continue
        chance = 1.0 - np.asarray(model.fitter.predict_survival_function(frame, times=[horizon]), dtype=float)[0]
        order = np.argsort(chance, kind="stable")
        for members in np.array_split(order, bands):
            if not len(members):
                continue
            fitter = KaplanMeierFitter().fit(durations[members], reached[members])
            observed = 1.0 - float(fitter.survival_function_at_times([horizon]).iloc[0])
            table.append(
                Calibration(horizon=horizon, n=len(members), predicted=float(chance[members].mean()), observed=observed)
            )
    return table
