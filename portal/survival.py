"""Kaplan-Meier estimates of the time until something happens, with the not-yet-happened censored.

Pure statistics on (duration, happened) pairs, in any unit (days for Time to Value, hours for a
first reply): every report that measures a wait uses this one engine, whose figures equal
``lifelines.KaplanMeierFitter`` with default settings (the tests cross-check them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# scipy.stats.norm.ppf(0.975), as lifelines computes it for its default alpha of 0.05.
Z_95 = 1.959963984540054

# Percentiles as (name, q as a fraction): the smallest t with S(t) <= q, S the share not reached yet.
_QUANTILES = (("median", 1, 2), ("p75", 1, 4), ("p90", 1, 10))

# The float S of a pass differs from the exact product by at most ~2 ulps per event time (2e-11 at
# 100,000 event times); inside this window the comparison with q is settled in exact integers.
_EXACT_WINDOW = 1e-9


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """Kaplan-Meier figures for one group of journeys. Days are fractional; None means "not reached":
    the curve never gets that low (or there is no data)."""

    n: int
    reached: int
    censored: int
    median_days: float | None
    median_ci: tuple[float | None, float | None]
    p75_days: float | None
    p90_days: float | None
    target_days: float | None
    within_target_share: float | None
    naive_median_days: float | None
    curve: list[tuple[float, float]] = field(default_factory=list)
    # The group's journeys do not all have the same target: ``target_days`` is then None, the lowest
    # and highest of their targets are given (None if none has one; both None when the targets agree),
    # and ``within_target_share`` measures each journey against its own.
    targets_differ: bool = False
    target_min_days: float | None = None
    target_max_days: float | None = None


def kaplan_meier(
    durations: Sequence[float] | np.ndarray,
    reached: Sequence[bool] | np.ndarray,
    *,
    target_days: float | None = None,
    curve_resolution: float | None = None,
) -> Estimate:
    """Kaplan-Meier estimate of time to a milestone, the way ``lifelines.KaplanMeierFitter`` computes it.

    ``durations[i]`` is the time (days, >= 0) until journey i reached the milestone when ``reached[i]``,
    else until it was censored (now, or churn).

    Conventions, all lifelines' defaults:
    - at a time where both reaching and censoring happen, reaching counts first (the censored
      journeys are still at risk at that time);
    - a percentile q (median 0.5, p75 0.25, p90 0.10) is the smallest time on the timeline (0 and
      every distinct duration) where S(t) <= q, S being the share not reached yet; None when S never
      gets that low (lifelines: inf);
    - the 95% interval of the median is the median of the lower and of the upper exponential
      Greenwood ("log(-log)") band, with undefined band values taken as 1 (lifelines' ``fillna(1.0)``)
      and found by the same binary search lifelines' ``qth_survival_time`` runs (numpy
      ``searchsorted``), so that it lands where lifelines' does even if a band were not monotone
      (which the exponential Greenwood bands need not be in theory); a bound lifelines reports as
      inf is None here;
    - ``within_target_share`` is 1 - S(target), S right-continuous (reaching at exactly the target
      counts as within it).

    One deliberate difference: when S touches q exactly (4 of 8 reached at t = 1 makes S = 0.5),
    the median is t = 1 here. lifelines computes S as exp(sum of log ratios), which may come out as
    0.5000000000000001 and move its median to the next event time, depending on the CPU's vectorised
    exp/log. Here S is compared with q in exact integer arithmetic whenever the float is within 1e-9
    of q, so a touch always counts, on every machine.

    ``curve`` is the step function 1 - S for drawing: (0, 0), then (t, share reached) at every time
    where someone reached, then the last observed time so the line shows how long follow-up ran.
    With ``curve_resolution`` (a share, e.g. 0.001) only the first and the last point within each
    band of that height are kept: a picture of 100,000 journeys then needs at most a few thousand
    points, and small groups keep them all.

    Vectorised with numpy: one sort, then cumulative sums and products; 100,000 journeys take a few
    milliseconds.
    """
    n = len(durations)
    if len(reached) != n:
        raise ValueError("durations and reached must have the same length.")
    if target_days is not None and not (math.isfinite(target_days) and target_days >= 0):
        raise ValueError("target_days must be a finite number of days >= 0.")
    if n == 0:
        return Estimate(
            n=0,
            reached=0,
            censored=0,
            median_days=None,
            median_ci=(None, None),
            p75_days=None,
            p90_days=None,
            target_days=target_days,
            within_target_share=None,
            naive_median_days=None,
            curve=[(0.0, 0.0)],
        )
    d, e = _sorted(durations, reached)
    times, removed, deaths, at_risk, survivors, dying, s = _steps(d, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        # lifelines: the variance term where nobody survives is inf, replaced by 0.
        steps = np.where(dying & (survivors > 0), deaths / (at_risk * np.maximum(survivors, 1)), 0.0)
    var = np.cumsum(steps)
    # The timeline is lifelines': 0, then every distinct duration.
    if times[0] > 0:
        timeline = np.concatenate(([0.0], times))
        survival = np.concatenate(([1.0], s))
        greenwood = np.concatenate(([0.0], var))
    else:
        timeline, survival, greenwood = times, s, var

    found = {name: _quantile(q_num, q_den, times, s, dying, removed, deaths, survivors, at_risk, n)
             for name, q_num, q_den in _QUANTILES}  # fmt: skip

    arrived = d[e]
    k = len(arrived)
    naive = None
    if k:
        mid = k // 2
        naive = float(arrived[mid]) if k % 2 else (float(arrived[mid - 1]) + float(arrived[mid])) / 2

    within = None
    if target_days is not None:
        within = 1.0 - float(survival[np.searchsorted(timeline, target_days, side="right") - 1])

    points = np.flatnonzero(dying)
    if curve_resolution is not None and len(points) > 2:
        band = np.floor((1.0 - s[points]) / curve_resolution)
        edge = band[1:] != band[:-1]
        keep = np.concatenate(([True], edge)) | np.concatenate((edge, [True]))
        points = points[keep]
    curve = [(0.0, 0.0), *zip(times[points].tolist(), (1.0 - s[points]).tolist(), strict=True)]
    last = float(times[-1])
    if last > curve[-1][0]:
        curve.append((last, curve[-1][1]))
    return Estimate(
        n=n,
        reached=k,
        censored=n - k,
        median_days=found["median"],
        median_ci=(_median_bound(timeline, survival, greenwood, 0), _median_bound(timeline, survival, greenwood, 1)),
        p75_days=found["p75"],
        p90_days=found["p90"],
        target_days=target_days,
        within_target_share=within,
        naive_median_days=naive,
        curve=curve,
    )


def _sorted(
    durations: Sequence[float] | np.ndarray, reached: Sequence[bool] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The durations sorted (stable), with their outcomes; refused unless finite and >= 0."""
    d = np.asarray(durations, dtype=np.float64)
    e = np.asarray(reached, dtype=bool)
    if not (np.isfinite(d).all() and d.min() >= 0):
        raise ValueError("durations must be finite numbers of days >= 0.")
    order = np.argsort(d, kind="stable")
    return d[order], e[order]


def _steps(d: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per distinct duration of the sorted ``d``: the time, how many left (removed) and reached
    (deaths) then, how many were at risk and survived, whether someone reached, and S after it."""
    first = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
    times = d[first]
    removed = np.diff(np.append(first, len(d)))
    deaths = np.add.reduceat(e.astype(np.int64), first)
    at_risk = len(d) - np.concatenate(([0], np.cumsum(removed)[:-1]))
    survivors = at_risk - deaths
    dying = deaths > 0
    s = np.cumprod(np.where(dying, survivors / at_risk, 1.0))
    return times, removed, deaths, at_risk, survivors, dying, s


def _within(d: np.ndarray, e: np.ndarray, target_days: float) -> float:
    """``kaplan_meier(d, e, target_days=...).within_target_share``, without the rest of the estimate."""
    times, *_counts, s = _steps(d, e)
    index = int(np.searchsorted(times, target_days, side="right")) - 1
    return 1.0 - (1.0 if index < 0 else float(s[index]))


def within_own_targets(
    durations: Sequence[float] | np.ndarray,
    reached: Sequence[bool] | np.ndarray,
    targets: Sequence[float | None] | np.ndarray,
) -> float | None:
    """The share of journeys that reach the milestone within their own target, when targets differ.

    Journeys are taken by target: for each target, the Kaplan-Meier share of its journeys reached by
    that target (1 - S(target), as ``kaplan_meier`` computes ``within_target_share``), weighted by
    how many journeys have it. With one target this is exactly ``kaplan_meier``'s share. Journeys
    without a target do not count; None when none has one. The order of the journeys does not
    change the figure to the last bit (the weighted shares are summed exactly, ``math.fsum``)."""
    d = np.asarray(durations, dtype=np.float64)
    e = np.asarray(reached, dtype=bool)
    t = np.asarray(targets, dtype=np.float64)  # None becomes NaN
    if not (len(d) == len(e) == len(t)):
        raise ValueError("durations, reached and targets must have the same length.")
    known = ~np.isnan(t)
    counted = int(known.sum())
    if not counted:
        return None
    shares = []
    for value in np.unique(t[known]):
        stratum = t == value
        shares.append((int(stratum.sum()), _within(*_sorted(d[stratum], e[stratum]), float(value))))
    if len(shares) == 1:
        return shares[0][1]
    return math.fsum(count * share for count, share in shares) / counted


def _quantile(
    q_num: int,
    q_den: int,
    times: np.ndarray,
    s: np.ndarray,
    dying: np.ndarray,
    removed: np.ndarray,
    deaths: np.ndarray,
    survivors: np.ndarray,
    at_risk: np.ndarray,
    n: int,
) -> float | None:
    """The first time someone reached where S <= q, settled exactly when the float is too close."""
    q = q_num / q_den
    for index in map(int, np.flatnonzero(dying & (s < q + _EXACT_WINDOW))):  # nearly always the first
        if s[index] <= q - _EXACT_WINDOW:
            return float(times[index])
        # S exactly: the product of (at risk - reached) / at risk telescopes between censorings, so it is
        # prod(survivors at each censoring) / prod(at risk at the start of each run) * survivors now /
        # at risk at the start of this run.
        censored = np.flatnonzero(removed[:index] > deaths[:index])
        nums = [*survivors[censored].tolist(), int(survivors[index])]
        run_starts = (at_risk[censored] - removed[censored]).tolist()
        dens = [n, *run_starts]
        if q_den * _product(nums, 0, len(nums)) <= q_num * _product(dens, 0, len(dens)):
            return float(times[index])
    return None


def _bands(survival: np.ndarray, greenwood: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lifelines' exponential Greenwood bands, with numpy's treatment of the edges: 1 where S is 1
    (log(-log 1) is -inf and 0/0 is nan, which lifelines fills with 1), 0 where S is 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        v = np.log(survival)
        spread = Z_95 * np.sqrt(greenwood) / v
        centre = np.log(-v)
        lower = np.exp(-np.exp(centre - spread))
        upper = np.exp(-np.exp(centre + spread))
    for band in (lower, upper):
        band[survival == 1.0] = 1.0
        band[survival == 0.0] = 0.0
        band[np.isnan(band)] = 1.0
    return lower, upper


def _product(values: list[int], lo: int, hi: int) -> int:
    # A product tree: multiplying 100,000 factors one by one into a growing integer is quadratic.
    if hi - lo <= 16:
        return math.prod(values[lo:hi])
    mid = (lo + hi) // 2
    return _product(values, lo, mid) * _product(values, mid, hi)


def _median_bound(timeline: np.ndarray, survival: np.ndarray, greenwood: np.ndarray, which: int) -> float | None:
    """lifelines' ``qth_survival_time`` of 0.5 on the lower (``which`` 0) or upper (1) band of
    ``_bands``: inf (None) if the band's last value is above 0.5, else numpy's left binary search for
    -0.5 in the negated band (``np.searchsorted(-band, -0.5)``), so that it lands where lifelines'
    does even on a band that is not monotone. The band is computed only where that search looks: its
    last value, then about 20 probes for a million journeys, where the whole band took a fifth of a
    second. Each value goes through the same numpy functions as in ``_bands``: the same to the last bit."""

    def band(index: int) -> float:
        return float(_bands(survival[index : index + 1], greenwood[index : index + 1])[which][0])

    q = 0.5
    n = len(timeline)
    if band(n - 1) > q:
        return None
    # numpy's searchsorted(-band, -q, side="left"): the same halving, so the same index, monotone or not.
    low, high = 0, n
    while low < high:
        middle = low + ((high - low) >> 1)
        if -band(middle) < -q:
            low = middle + 1
        else:
            high = middle
    return float(timeline[low])
