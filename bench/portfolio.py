"""The CS manager's portfolio and the nightly risk evaluation on the large data set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_reports_bench .venv/bin/python bench/portfolio.py \
        [--accounts 100000] [--portfolio 500] [--repeat 7]

Uses the accounts, journeys and achievements bench/ttv_reports.py generates (it generates them
first when the scratch database does not hold --accounts of them), and adds in SQL what a
portfolio needs on top: eight steps per bench playbook (each milestone done by its steps), one
step state per journey and step (done on a per-journey pace, some open past due), a history row
per completed step, and --portfolio accounts assigned to one CS manager.

Prints:
- the server time of /portfolio/ for that CS manager (p50 and min of --repeat, DEBUG off), its
  query count, and the same for a CS manager with 5 accounts (the count must be identical);
- the nightly risk evaluation (``risk_evaluate``) over the first 10,000, 50,000 and all accounts:
  seconds, and microseconds per account (flat per account means linear in the number of accounts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import bench.ttv_reports as ttv_reports  # noqa: E402 - the generator of the accounts, journeys and achievements
from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = ttv_reports.PREFIX
STEPS = 8  # one per milestone: milestone i is done when step i is


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--portfolio", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    url = scratch_url("bench/portfolio.py", "measures the portfolio on PostgreSQL", "kachi_reports_bench")
    setup_django(url, static=True)

    from portal.models import Account

    if Account.objects.filter(slug__startswith=PREFIX).count() != args.accounts:
        generator = ttv_reports.Bench(
            argparse.Namespace(accounts=args.accounts, months=24, repeat=1, keep=False, explain=False)
        )
        generator.prepare()
    add_steps()
    csm, small_csm = assign(args.portfolio)
    measure_portfolio(csm, small_csm, args.repeat)
    measure_risk(args.accounts)


def add_steps() -> None:
    """Eight steps per bench playbook, a state per journey and step, history for the done ones."""
    from django.db import connection, transaction

    from journeys.onboarding.models import Milestone, Playbook, Step

    playbooks = list(Playbook.objects.filter(key__startswith=PREFIX))
    if Step.objects.filter(playbook__in=playbooks).count() == STEPS * len(playbooks):
        print("reusing the generated steps")
        return
    began = time.perf_counter()
    with transaction.atomic():
        for playbook in playbooks:
            milestones = list(Milestone.objects.filter(playbook=playbook).order_by("position"))
            for i, milestone in enumerate(milestones[:STEPS]):
                step = Step.objects.create(
                    playbook=playbook, key=f"bench-step-{i}", position=i, title=f"Bench step {i + 1}",
                    due_offset_days=[1, 5, 10, 14, 21, 30, 45, 60][i],
                )  # fmt: skip
                milestone.steps.set([step])
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.17)")
            # Done when the journey reached the step's milestone (at that time); else open: mostly to do,
            # some in progress, a few blocked.
            cursor.execute(
                """
                INSERT INTO journeys_stepstate (journey_id, step_id, step_key, status, reason, due_at, completed_at,
                                                changed_at, assignee_id, changed_by_id)
                SELECT j.id, s.id, s.key,
                       CASE WHEN a.achieved_at IS NOT NULL THEN 'done'
                            WHEN random() < 0.1 THEN 'in_progress' WHEN random() < 0.03 THEN 'blocked'
                            ELSE 'todo' END,
                       '', j.started_at + make_interval(days => s.due_offset_days), a.achieved_at,
                       coalesce(a.achieved_at, j.started_at), NULL, NULL
                FROM journeys_journey j
                JOIN journeys_step s ON s.playbook_id = j.playbook_id
                JOIN journeys_milestone_steps ms ON ms.step_id = s.id
                JOIN journeys_milestone m ON m.id = ms.milestone_id
                LEFT JOIN journeys_achievement a ON a.journey_id = j.id AND a.milestone_key = m.key
                WHERE j.playbook_key LIKE %s
                """,
                [PREFIX + "%"],
            )
            cursor.execute("UPDATE journeys_stepstate SET reason = 'Waiting for IT' WHERE status = 'blocked'")
            cursor.execute(
                """
                INSERT INTO journeys_stepevent (step_state_id, journey_id, from_status, to_status, reason, note,
                                                change, change_params, actor_id, source, occurred_at, recorded_at)
                SELECT st.id, st.journey_id, 'todo', 'done', '', '', '', '{}', NULL, 'rule', st.completed_at,
                       st.completed_at
                FROM journeys_stepstate st JOIN journeys_journey j ON j.id = st.journey_id
                WHERE st.status = 'done' AND j.playbook_key LIKE %s
                """,
                [PREFIX + "%"],
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE journeys_stepstate, journeys_stepevent, journeys_step")
        cursor.execute("SELECT count(*) FROM journeys_stepstate")
        states = cursor.fetchone()[0]
    print(f"steps added: {states:,} step states in {time.perf_counter() - began:.1f} s")


def assign(size: int):
    """A CS manager with the ``size`` newest accounts (onboarding, mostly), and one with the 5 before
    them (bench/ttv_reports.py gives the first 1,000 to its own CS manager)."""
    from portal.models import Account, User

    def csm(email: str, name: str) -> User:
        user = User.objects.filter(email=email).first()
        return user or User.objects.create_user(email, name=name, role=User.Role.CSM)

    big = csm(f"{PREFIX}portfolio@kachi.example", "Portfolio CSM")
    small = csm(f"{PREFIX}portfolio-small@kachi.example", "Small CSM")
    ids = list(Account.objects.filter(slug__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
    Account.objects.filter(csm__in=[big, small]).update(csm=None)
    Account.objects.filter(pk__in=ids[-size:]).update(csm=big)
    Account.objects.filter(pk__in=ids[-size - 5 : -size]).update(csm=small)
    return big, small


def measure_portfolio(csm, small_csm, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from journeys.reports import rollup
    from journeys.workspace.portfolio import portfolio
    from portal.models import Account

    rollup.overview_refresh()  # expected first value reads the kept curves, as in production
    results = {}
    for user in (csm, small_csm):
        client = Client()
        client.force_login(user)
        client.get("/portfolio/", secure=True)  # what a process reads once (the risk rule's settings)
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/portfolio/", secure=True)
            queries = list(captured.captured_queries)  # read now: the request's end empties the log
        assert response.status_code == 200, response.status_code
        times = []
        for _ in range(repeat):
            began = time.perf_counter()
            client.get("/portfolio/", secure=True)
            times.append(time.perf_counter() - began)
        figures = portfolio(accounts=Account.objects.filter(csm=user), curves=rollup.first_value_curves())
        results[user.pk] = (len(figures.rows), len(queries), statistics.median(times) * 1000, min(times) * 1000)
        print(
            f"/portfolio/ of a CS manager with {len(figures.rows):,} accounts: p50 {results[user.pk][2]:.0f} ms, "
            f"min {results[user.pk][3]:.0f} ms (of {repeat}), {len(queries)} queries; behind {figures.behind}, "
            f"stuck {figures.stuck}, onboarding {figures.onboarding}"
        )
    counts = {r[1] for r in results.values()}
    print("query count: " + ("identical" if len(counts) == 1 else "DIFFERENT") + f" ({sorted(counts)})")


def measure_risk(total: int) -> None:
    from journeys.automation.models import AccountRisk
    from journeys.automation.services.risk import risk_evaluate
    from portal.models import Account

    ids = list(Account.objects.filter(slug__startswith=PREFIX).order_by("pk").values_list("pk", flat=True))
    print("\nnightly risk evaluation (risk_evaluate, chunks of 2,000; the kept rows emptied before each run):")
    for size in sorted({min(10_000, total), min(50_000, total), total}):
        AccountRisk.objects.all().delete()
        began = time.perf_counter()
        summary = risk_evaluate(account_ids=ids[:size])
        seconds = time.perf_counter() - began
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(summary.counts.items()))
        print(f"  {size:>7,} accounts: {seconds:6.1f} s, {seconds / size * 1e6:6.0f} µs per account ({counts})")
    began = time.perf_counter()
    again = risk_evaluate(account_ids=ids)
    seconds = time.perf_counter() - began
    print(
        f"  {total:>7,} accounts again, rows kept (the nightly case): {seconds:6.1f} s, "
        f"{again.changed:,} changed, {len(again.turned):,} turned behind or stuck"
    )


if __name__ == "__main__":
    main()
