"""The nightly forecast of time to value on the large data set: time and peak memory, and how they grow.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_reports_bench .venv/bin/python bench/forecast.py \
        [--accounts 100000] [--sizes 10000,50000]

Uses the accounts, journeys and achievements bench/ttv_reports.py generates (it generates them first
when the scratch database does not hold --accounts of them). Prints:
- reading the history (every journey measured for first value, with its covariates): seconds;
- for the first 10,000, 50,000 and all of the journeys (by id): scoring the model against the
  segments' curves (``prediction.evaluate``: a fit on 70%, the integrated Brier scores, C-index,
  calibration), fitting it on all of them and predicting every open journey: seconds each, seconds
  per 1,000 journeys (flat means linear), and the process's peak resident memory so far;
- ``forecast_refresh()``, the Celery task's work, end to end: seconds, whether it ships and why,
  the predictions kept.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench.ttv_reports as ttv_reports  # noqa: E402 - the generator of the accounts, journeys and achievements
from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--sizes", default="10000,50000", help="journey counts to time besides all of them")
    args = parser.parse_args()
    url = scratch_url("bench/forecast.py", "measures the forecast on PostgreSQL", "kachi_reports_bench")
    setup_django(url)
    bench = ttv_reports.Bench(argparse.Namespace(accounts=args.accounts, months=24, repeat=1, keep=True))
    bench.prepare()

    from django.utils import timezone

    from journeys.reports import prediction
    from journeys.reports.forecasting import forecast_history, forecast_refresh

    now = timezone.now()
    began = time.perf_counter()
    history = forecast_history(kind="first_value", now=now)
    print(f"\nhistory: {len(history.journeys):,} journeys ({len(history.open_ids):,} open) read in "
          f"{time.perf_counter() - began:.1f} s; peak memory {peak_mb():,.0f} MB")  # fmt: skip
    ordered = sorted(history.journeys, key=lambda journey: journey.journey_id)
    sizes = [int(size) for size in args.sizes.split(",") if size and int(size) < len(ordered)] + [len(ordered)]
    print(f"{'journeys':>9} {'evaluate s':>10} {'fit s':>7} {'predict s':>9} {'s per 1,000':>11} "
          f"{'ships':>5} {'IBS model':>9} {'IBS curves':>10} {'C-index':>7} {'peak MB':>8}")  # fmt: skip
    for size in sizes:
        subset = ordered[:size]
        started = time.perf_counter()
        evaluation = prediction.evaluate(subset)
        evaluated = time.perf_counter()
        model = prediction.fit(subset)
        fitted = time.perf_counter()
        waiting = [journey for journey in subset if journey.journey_id in history.open_ids]
        predicted = prediction.predict(model, waiting) if model is not None else []
        done = time.perf_counter()
        total = done - started
        print(
            f"{size:9,} {evaluated - started:10.1f} {fitted - evaluated:7.1f} {done - fitted:9.1f} "
            f"{total / size * 1000:11.3f} {'yes' if evaluation.ships else 'no':>5} "
            f"{evaluation.ibs_model or float('nan'):9.4f} {evaluation.ibs_baseline or float('nan'):10.4f} "
            f"{evaluation.c_index or float('nan'):7.3f} {peak_mb():8,.0f}   ({len(predicted):,} predictions)"
        )
    began = time.perf_counter()
    forecast = forecast_refresh(kind="first_value")
    print(
        f"\nforecast_refresh() (the nightly task): {time.perf_counter() - began:.1f} s; ships: {forecast.ships} "
        f"({forecast.reason}); {forecast.predictions.count():,} predictions kept; peak memory {peak_mb():,.0f} MB"
    )


if __name__ == "__main__":
    main()
