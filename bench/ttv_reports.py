"""TTV reports on a large data set: the API and the pages against hand-written SQL percentiles.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kachi_reports_bench .venv/bin/python bench/ttv_reports.py \
        [--accounts 100000] [--months 24] [--repeat 5] [--keep] [--explain] [--ttv-only]

Needs PostgreSQL and a scratch database (its name must contain "bench"; it is
created if missing and migrated). Generates, in SQL (INSERT ... SELECT over
generate_series, no ORM save per row), four segments with targets, a few CS
managers, N accounts whose contracts started over the last --months months (~5%
churned), one published playbook per segment with eight milestones covering the
six kinds, one journey per account and ~7 achievements per journey (per-segment
log-normal times; nothing after now or after churn). Its rows are recognised by
the "ttv-bench-" prefix: a run replaces them, or reuses them with --keep when the
counts match.

Then measures, --repeat times each (median and min, after one warm-up):
- GET /api/v1/reports/ttv/?kind=K&group_by=segment for the six kinds, and
  ?kind=first_value&group_by=cohort_month, through django.test.Client in-process
  as a signed-in admin (every middleware, DRF, the query, Kaplan-Meier, JSON);
- measurement.ttv_report(...) for the same, called directly;
- the hand-written SQL for the same figures without censoring:
  percentile_cont(array[0.5, 0.75, 0.9]) over the achieved durations, per
  segment or start month, in one statement;
and prints API / raw SQL (the target computed on the fly: <= 1.5x), the query
count of the API request on the full data set and for 1,000 accounts (a CS
manager assigned the first 1,000 accounts; and ttv_report(accounts=...)), and the
server time of /reports/ and /reports/cohorts/ (on the fly, and from the
snapshots Celery keeps) and of the other report pages (on the fly), and the
reports in business days against the same in calendar days, as ratios (the
/reports/ page on the fly, ttv_report and the API by segment: <= 1.5x);
--business-days-only measures that alone. Runs with DEBUG off, like production.

Then (alone with --only-sql-reports) the reports that the database adds up, with the steps and
step states bench/portfolio.py adds (eight per journey):
- /reports/bottlenecks/ for the playbook with the most journeys: the page's server time against
  its SQL alone (every statement the page ran, executed and its rows received but not converted
  to Python; in turns with the page, so both see the same load; target <= 1.5x), with the
  heaviest statement's EXPLAIN ANALYZE time and any sort that spilled to disk;
- GET /api/v1/reports/ttv/rows/?kind=first_value: the first page (target <= 100 ms) and the next one.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_url, setup_django  # noqa: E402 - beside this script

PREFIX = "ttv-bench-"
KINDS = ["first_action", "first_value", "full_value", "milestone", "roi", "adoption"]

# slug, name, share of accounts, plan, investment (yen), time scale (x PLG), reach factor,
# targets per kind (days), reference band for first value (days).
SEGMENTS = [
    ("plg", "PLG", 0.40, "starter", 300_000, 1.0, 1.00, (1, 7, 45, 21, 120, 30), (1, 7)),
    ("smb", "SMB", 0.35, "growth", 1_200_000, 2.0, 0.99, (3, 14, 60, 30, 180, 45), (7, 21)),
    ("mid-market", "Mid-market", 0.18, "business", 6_000_000, 3.5, 0.98, (7, 30, 120, 60, 270, 90), (14, 45)),
    ("enterprise", "Enterprise", 0.07, "enterprise", 30_000_000, 6.0, 0.96, (14, 60, 180, 90, 365, 120), (30, 90)),
]
# key, name, kind, rule, median days for PLG, spread (log-normal sigma), probability of ever reaching it.
MILESTONES = [
    ("first-login", "First login", "first_action", "steps", 0.5, 0.9, 0.995),
    ("first-campaign", "First campaign sent", "first_value", "steps", 4.0, 0.7, 0.98),
    ("integration-live", "Integration live", "milestone", "steps", 8.0, 0.6, 0.96),
    ("team-invited", "Team invited", "adoption", "steps", 10.0, 0.7, 0.95),
    ("automation-live", "First automation live", "milestone", "steps", 16.0, 0.6, 0.93),
    ("full-rollout", "Full rollout", "full_value", "steps", 30.0, 0.5, 0.92),
    ("daily-active", "Half the seats active daily", "adoption", "steps", 40.0, 0.6, 0.92),
    ("roi-reached", "Investment paid back", "roi", "roi", 60.0, 0.5, 0.88),
]
# The hand-written comparison: percentiles of the achieved durations to the first milestone of the kind
# (by position) of each journey's playbook version, per segment or per start month (in TIME_ZONE). No
# censoring: journeys that have not arrived are left out, which is why it is cheaper, and biased low.
RAW_BY_SEGMENT = """
    WITH first AS (
        SELECT DISTINCT ON (playbook_id) playbook_id, key
        FROM journeys_milestone WHERE kind = %s ORDER BY playbook_id, position, id
    )
    SELECT s.slug, pct[1], pct[2], pct[3], n
    FROM (
        SELECT s.slug,
               percentile_cont(array[0.5, 0.75, 0.9]) WITHIN GROUP (
                   ORDER BY extract(epoch FROM a.achieved_at - j.started_at)::float8 / 86400) AS pct,
               count(*) AS n
        FROM journeys_journey j
        JOIN first f ON f.playbook_id = j.playbook_id
        JOIN journeys_achievement a ON a.journey_id = j.id AND a.milestone_key = f.key
        JOIN portal_account acc ON acc.id = j.account_id
        JOIN portal_segment s ON s.id = acc.segment_id
        WHERE j.started_at <= %s AND a.achieved_at <= %s
        GROUP BY s.slug
    ) s
    ORDER BY s.slug
"""
RAW_BY_MONTH = """
    WITH first AS (
        SELECT DISTINCT ON (playbook_id) playbook_id, key
        FROM journeys_milestone WHERE kind = %s ORDER BY playbook_id, position, id
    )
    SELECT month, pct[1], pct[2], pct[3], n
    FROM (
        SELECT to_char(j.started_at AT TIME ZONE %s, 'YYYY-MM') AS month,
               percentile_cont(array[0.5, 0.75, 0.9]) WITHIN GROUP (
                   ORDER BY extract(epoch FROM a.achieved_at - j.started_at)::float8 / 86400) AS pct,
               count(*) AS n
        FROM journeys_journey j
        JOIN first f ON f.playbook_id = j.playbook_id
        JOIN journeys_achievement a ON a.journey_id = j.id AND a.milestone_key = f.key
        WHERE j.started_at <= %s AND a.achieved_at <= %s
        GROUP BY month
    ) m
    ORDER BY month
"""
CSMS = 5  # the first one is assigned the first 1,000 accounts
SUBSET = 1_000


class Sample:
    """Seconds per call of ``fn``, the queries of the first call, and the last call's result."""

    def __init__(self, fn: Callable[[], object], repeat: int) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.times: list[float] = []
        with CaptureQueriesContext(connection) as captured:
            self._call(fn)
        # Read now: a request outside the context empties the log the context slices.
        self.queries = list(captured.captured_queries)
        for _ in range(repeat - 1):
            self._call(fn)

    def _call(self, fn: Callable[[], object]) -> None:
        start = time.perf_counter()
        self.result = fn()
        self.times.append(time.perf_counter() - start)

    @property
    def p50(self) -> float:
        return statistics.median(self.times) * 1000

    @property
    def min(self) -> float:
        return min(self.times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the generated data when its counts match")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the report queries")
    parser.add_argument(
        "--only-sql-reports", action="store_true", help="measure only the bottlenecks page and the rows API"
    )
    parser.add_argument(
        "--business-days-only", action="store_true", help="only the business-day reports against the calendar-day ones"
    )
    parser.add_argument(
        "--ttv-only", action="store_true", help="only the TTV reports against the raw SQL (no pages): for 1,000,000"
    )
    args = parser.parse_args()
    if args.accounts < 1 or args.months < 1 or args.repeat < 1:
        sys.exit("--accounts, --months and --repeat must be at least 1.")

    url = scratch_url("bench/ttv_reports.py", "compares with PostgreSQL's percentile_cont", "kachi_reports_bench")
    setup_django(url, static=True)
    bench = Bench(args)
    bench.prepare()
    if args.ttv_only:
        bench.measure(pages=False)
    else:
        if not args.only_sql_reports and not args.business_days_only:
            bench.measure()
        if not args.business_days_only:
            bench.measure_sql_reports()
        if not args.only_sql_reports:
            bench.business_days()
    # The bench's own process: Django, the API requests it made in-process and the reports' rows.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak:,.0f} MB")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        from django.utils import timezone

        self.args = args
        self.now = timezone.now()
        self.marker = f"bench/ttv_reports.py accounts={args.accounts} months={args.months}"

    # --- Data ------------------------------------------------------------------------------------

    def prepare(self) -> None:
        from django.db import connection

        from journeys.onboarding.models import Achievement, Journey, Playbook
        from portal.models import Account, User

        self.segments = self._segments()
        self.csms = [self._user(f"{PREFIX}csm-{i}@kachi.example", f"CSM {i}", User.Role.CSM).pk for i in range(CSMS)]
        self.admin = self._user(f"{PREFIX}admin@kachi.example", "Bench admin", User.Role.ADMIN)
        ours = Account.objects.filter(slug__startswith=PREFIX)
        playbooks = Playbook.objects.filter(key__startswith=PREFIX, status=Playbook.Status.PUBLISHED)
        reuse = (
            self.args.keep
            and ours.count() == self.args.accounts
            and Journey.objects.filter(account__slug__startswith=PREFIX).count() == self.args.accounts
            and playbooks.filter(description=self.marker).count() == len(SEGMENTS)
            and Achievement.objects.filter(account__slug__startswith=PREFIX).exists()
        )
        if reuse:
            print(f"reusing the generated data ({self.marker})")
        else:
            began = time.perf_counter()
            timings = self._generate()
            seconds = time.perf_counter() - began
            print(f"generated in {seconds:.1f} s (" + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()) + ")")
        # VACUUM as well: fresh rows have no hint bits nor visibility map yet, which autovacuum would have
        # set on a live database long before.
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE {time.perf_counter() - began:.1f} s")

        self.first_ids = list(ours.order_by("pk").values_list("pk", flat=True)[:SUBSET])
        counts = {
            "accounts": ours.count(),
            "churned": ours.filter(status=Account.Status.CHURNED).count(),
            "journeys": Journey.objects.filter(account__slug__startswith=PREFIX).count(),
            "achievements": Achievement.objects.filter(account__slug__startswith=PREFIX).count(),
        }
        print("rows   " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        others = Account.objects.exclude(slug__startswith=PREFIX).count()
        if others:
            print(f"note: the database holds {others:,} other accounts; the reports include them, the raw SQL too")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('journeys_achievement')),"
                " pg_size_pretty(pg_total_relation_size('journeys_journey')),"
                " pg_size_pretty(pg_total_relation_size('portal_account'))"
            )
            sizes = cursor.fetchone()
        print(f"sizes  achievements {sizes[0]}, journeys {sizes[1]}, accounts {sizes[2]} (tables with indexes)")

    def _segments(self) -> dict[str, int]:
        from portal.models import Segment

        ids = {}
        for position, (slug, name, *_rest, targets, band) in enumerate(SEGMENTS):
            segment = (
                Segment.objects.filter(slug=slug).first()
                or Segment.objects.filter(name=name).first()
                or Segment(slug=slug, name=name)
            )
            segment.position = position
            for kind, days in zip(KINDS, targets, strict=True):
                setattr(segment, f"target_{kind}_days", days)
            segment.reference_low_days, segment.reference_high_days = band
            segment.save()
            ids[slug] = segment.pk
        return ids

    def _user(self, email: str, name: str, role: str):
        from portal.models import User

        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, name=name, role=role)  # no usable password
        return user

    def _generate(self) -> dict[str, float]:
        from django.db import connection, transaction

        from journeys.onboarding.models import Milestone, Playbook

        timings: dict[str, float] = {}
        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            pattern = [PREFIX + "%"]
            ours = "(SELECT id FROM portal_account WHERE slug LIKE %s)"
            journeys = f"(SELECT id FROM journeys_journey WHERE account_id IN {ours})"  # noqa: S608
            # What bench/portfolio.py and the nightly evaluation add on top, first.
            for table, column, subquery in (
                ("journeys_nudge", "account_id", ours),
                ("journeys_notification", "account_id", ours),
                ("journeys_stepevent", "journey_id", journeys),
                ("journeys_stepstate", "journey_id", journeys),
                ("journeys_accountrisk", "account_id", ours),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN {subquery}", pattern)  # noqa: S608
            cursor.execute(f"DELETE FROM journeys_achievement WHERE account_id IN {ours}", pattern)  # noqa: S608
            cursor.execute(
                "DELETE FROM journeys_journey WHERE account_id IN (SELECT id FROM portal_account WHERE slug LIKE %s)",
                pattern,
            )
            cursor.execute("DELETE FROM portal_account WHERE slug LIKE %s", pattern)
            Playbook.objects.filter(key__startswith=PREFIX).delete()
        deleted = time.perf_counter() - began
        began = time.perf_counter()
        with connection.cursor() as cursor:  # free the space again, so the new rows do not double the tables
            cursor.execute("VACUUM portal_account, journeys_journey, journeys_achievement")
        timings["old rows deleted"] = deleted
        timings["vacuum"] = time.perf_counter() - began

        began = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")  # the same data set on every run
            playbooks: list[tuple[int, int, str]] = []  # (segment id, playbook id, key)
            milestones: list[tuple[int, int, str, str, float, float, float]] = []
            for slug, name, _share, _plan, _inv, scale, reach, *_targets in SEGMENTS:
                playbook = Playbook.objects.create(
                    key=f"{PREFIX}{slug}",
                    version=1,
                    name=f"{name} onboarding (bench)",
                    description=self.marker,
                    status=Playbook.Status.PUBLISHED,
                    published_at=self.now - timedelta(days=31 * self.args.months + 30),
                    created_at=self.now - timedelta(days=31 * self.args.months + 30),
                )
                playbook.segments.set([self.segments[slug]])
                playbooks.append((self.segments[slug], playbook.pk, playbook.key))
                for position, (key, title, kind, rule, median, sigma, p_reach) in enumerate(MILESTONES):
                    milestone = Milestone.objects.create(
                        playbook=playbook, key=key, position=position, name=title, kind=kind, rule=rule
                    )
                    milestones.append((milestone.pk, playbook.pk, key, kind, median * scale, sigma, p_reach * reach))

            span_seconds = self.args.months * 30.4375 * 86400
            cursor.execute(
                """
                WITH s AS MATERIALIZED (
                    SELECT random() AS r_seg, random() AS r_start, random() AS r_churn, random() AS r_churn_at,
                           random() AS r_inv
                    FROM generate_series(1, %(n)s)
                ), t AS (
                    SELECT s.*,
                           CASE WHEN r_seg < %(c1)s THEN 1 WHEN r_seg < %(c2)s THEN 2 WHEN r_seg < %(c3)s THEN 3
                                ELSE 4 END AS seg,
                           %(now)s::timestamptz - make_interval(secs => r_start * %(span)s) AS start
                    FROM s
                ), u AS (
                    SELECT t.*, row_number() OVER (ORDER BY start) AS rn,
                           r_churn < 0.0525 AND start < %(now)s::timestamptz - interval '30 days' AS churn
                    FROM t
                )
                INSERT INTO portal_account (name, slug, external_id, domain, plan, contract_start, investment_amount,
                                            status, churned_at, created_at, csm_id, segment_id)
                SELECT 'TTV Bench ' || lpad(rn::text, 7, '0'), %(prefix)s || lpad(rn::text, 7, '0'), '', '',
                       (%(plans)s::text[])[seg], start, round((%(inv)s::numeric[])[seg] * (0.5 + r_inv)),
                       CASE WHEN churn THEN 'churned'
                            WHEN start < %(now)s::timestamptz - interval '90 days' THEN 'active'
                            ELSE 'onboarding' END,
                       CASE WHEN churn THEN start + (%(now)s::timestamptz - start) * (0.3 + 0.7 * r_churn_at) END,
                       start,
                       CASE WHEN rn <= %(subset)s THEN (%(csms)s::bigint[])[1]
                            ELSE (%(csms)s::bigint[])[2 + rn %% (%(k)s - 1)] END,
                       (%(segs)s::bigint[])[seg]
                FROM u
                ORDER BY rn
                """,
                {
                    "n": self.args.accounts,
                    "prefix": PREFIX,
                    "c1": SEGMENTS[0][2],
                    "c2": SEGMENTS[0][2] + SEGMENTS[1][2],
                    "c3": SEGMENTS[0][2] + SEGMENTS[1][2] + SEGMENTS[2][2],
                    "now": self.now,
                    "span": span_seconds,
                    "plans": [s[3] for s in SEGMENTS],
                    "inv": [s[4] for s in SEGMENTS],
                    "subset": SUBSET,
                    "csms": self.csms,
                    "k": max(CSMS, 2),
                    "segs": [self.segments[s[0]] for s in SEGMENTS],
                },
            )
            timings["accounts"] = time.perf_counter() - began

            began = time.perf_counter()
            cursor.execute(
                """
                INSERT INTO journeys_journey (playbook_key, started_at, completed_at, created_at, account_id,
                                              created_by_id, playbook_id)
                SELECT p.key, a.contract_start, NULL, a.contract_start, a.id, NULL, p.id
                FROM portal_account a
                JOIN unnest(%s::bigint[], %s::bigint[], %s::text[]) AS p(segment_id, id, key)
                  ON p.segment_id = a.segment_id
                WHERE a.slug LIKE %s
                ORDER BY a.id
                """,
                [[p[0] for p in playbooks], [p[1] for p in playbooks], [p[2] for p in playbooks], PREFIX + "%"],
            )
            timings["journeys"] = time.perf_counter() - began

            # A journey's pace (shared by its milestones) times each milestone's own log-normal spread;
            # Box-Muller for the normal draws (random_normal() needs PostgreSQL 16).
            began = time.perf_counter()
            columns = list(zip(*milestones, strict=True))
            cursor.execute(
                """
                WITH j AS MATERIALIZED (
                    SELECT j.id, j.account_id, j.playbook_id, j.started_at, a.churned_at,
                           exp(0.45 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS pace
                    FROM journeys_journey j JOIN portal_account a ON a.id = j.account_id
                    WHERE a.slug LIKE %s
                ), c AS MATERIALIZED (
                    SELECT j.*, m.milestone_id, m.key, m.kind, m.median_days, m.sigma, m.p_reach,
                           random() AS u_reach, random() AS u1, random() AS u2
                    FROM j
                    JOIN unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::float8[], %s::float8[],
                                %s::float8[]) AS m(milestone_id, playbook_id, key, kind, median_days, sigma, p_reach)
                      ON m.playbook_id = j.playbook_id
                ), d AS (
                    SELECT c.*, started_at + make_interval(secs => 86400 * median_days * pace
                               * exp(sigma * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2))) AS achieved_at
                    FROM c
                    WHERE u_reach < p_reach
                )
                INSERT INTO journeys_achievement (milestone_key, kind, achieved_at, source, recorded_at, account_id,
                                                  journey_id, milestone_id)
                SELECT key, kind, achieved_at, 'rule', least(achieved_at + interval '5 minutes', %s), account_id,
                       id, milestone_id
                FROM d
                WHERE achieved_at <= %s AND (churned_at IS NULL OR achieved_at <= churned_at)
                ORDER BY achieved_at
                """,
                [PREFIX + "%", *map(list, columns), self.now, self.now],
            )
            timings["achievements"] = time.perf_counter() - began
            began = time.perf_counter()
        timings["commit"] = time.perf_counter() - began
        return timings

    # --- Measurements ----------------------------------------------------------------------------

    def measure(self, *, pages: bool = True) -> None:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from journeys.reports import measurement, rollup
        from journeys.reports.models import ReportSnapshot
        from portal.models import Account, User

        repeat = self.args.repeat
        few = min(repeat, 3)  # for the calls that take many seconds each
        client = Client()
        client.force_login(self.admin)

        def get(client: Client, path: str) -> Callable[[], object]:
            def call() -> object:
                response = client.get(path, secure=True)
                assert response.status_code == 200, (path, response.status_code, response.content[:300])
                return response

            return call

        def api(kind: str, group_by: str) -> Callable[[], object]:
            return get(client, f"/api/v1/reports/ttv/?kind={kind}&group_by={group_by}")

        def direct(kind: str, group_by: str, **extra: object) -> Callable[[], object]:
            return lambda: measurement.ttv_report(kind=kind, group_by=group_by, **extra)

        # One untimed pass reads the tables into memory, so the first case is not penalised.
        warm = time.perf_counter()
        api("first_action", "segment")()
        for kind in KINDS:
            self.raw(kind, "segment")
        print(f"\nwarm-up (one API request, six raw queries): {time.perf_counter() - warm:.1f} s")

        cases = [(kind, "segment") for kind in KINDS] + [("first_value", "cohort_month")]
        print(f"timings in ms: median and min of {repeat}; raw = percentile_cont over achieved durations only")
        print(
            f"{'report':<29} {'API p50':>8} {'min':>6} {'direct p50':>10} {'min':>6} {'raw p50':>7} {'min':>6}"
            f" {'API/raw':>7} {'direct/raw':>10} {'groups':>6} {'journeys':>8} {'reached':>8}"
        )
        mismatches = []
        api_samples = {}
        for kind, group_by in cases:
            a = api_samples[kind, group_by] = Sample(api(kind, group_by), repeat)
            d = Sample(direct(kind, group_by), repeat)
            r = Sample(lambda kind=kind, group_by=group_by: self.raw(kind, group_by), repeat)
            report = d.result
            raw = {key: p50 for key, p50, _p75, _p90, _n in r.result}
            for group in report.groups:
                mine, theirs = group.estimate.naive_median_days, raw.get(group.key)
                if (mine is None) != (theirs is None) or (mine is not None and abs(mine - theirs) > 1e-6):
                    mismatches.append((kind, group_by, group.key, mine, theirs))
            total = report.total.estimate
            print(
                f"{kind + ' by ' + group_by:<29} {a.p50:8.0f} {a.min:6.0f} {d.p50:10.0f} {d.min:6.0f} {r.p50:7.0f}"
                f" {r.min:6.0f} {a.p50 / r.p50:6.2f}x {d.p50 / r.p50:9.2f}x {len(report.groups):6d} {total.n:8,}"
                f" {total.reached:8,}"
            )
        if mismatches:
            print(f"CHECK FAILED: naive medians differ from the raw SQL p50: {mismatches[:5]}")
        else:
            print("check: every group's naive_median_days (reached only) equals the raw SQL p50")

        # Where one report's time goes: its SQL statement (as the API ran it), then alone with fetchall.
        first_value = api_samples["first_value", "segment"]
        statement = max(first_value.queries, key=lambda query: float(query["time"]))
        print(
            f"\nfirst_value by segment, API p50 {first_value.p50:.0f} ms; in its first request the report "
            f"statement took {float(statement['time']) * 1000:.0f} ms (execute, rows received, not yet converted)"
        )

        def statement_alone() -> None:
            with connection.cursor() as cursor:
                cursor.execute(statement["sql"])
                cursor.fetchall()

        alone = Sample(statement_alone, few)
        print(
            f"the same statement alone, execute + fetchall (rows converted to Python): p50 {alone.p50:.0f} ms, "
            f"min {alone.min:.0f} ms (of {few})"
        )
        if self.args.explain:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement["sql"])
                print("\n".join(row[0] for row in cursor.fetchall()))
                sql, params = self.raw_sql("first_value", "segment")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                print("\n".join(row[0] for row in cursor.fetchall()))

        # Query counts: the API request for every account, and for a CS manager with the first 1,000;
        # ttv_report for every account, and restricted to the first 1,000 accounts.
        path = "/api/v1/reports/ttv/?kind=first_value&group_by=segment"
        csm_client = Client()
        csm_client.force_login(User.objects.get(pk=self.csms[0]))
        small_api = Sample(get(csm_client, path), repeat)
        first = Account.objects.filter(pk__in=self.first_ids)
        with CaptureQueriesContext(connection) as captured:
            small = measurement.ttv_report(kind="first_value", group_by="segment", accounts=first)
        direct_small = len(captured.captured_queries)
        with CaptureQueriesContext(connection) as captured:
            measurement.ttv_report(kind="first_value", group_by="segment")
        direct_full = len(captured.captured_queries)
        full_n, small_n = len(first_value.queries), len(small_api.queries)
        small_accounts = small_api.result.json()["total"]["n"]
        print(
            f"\nqueries per API request: {full_n} for all accounts, {small_n} for a CS manager with "
            f"{small_accounts:,} accounts ({'identical' if full_n == small_n else 'DIFFERENT'}): "
            + "; ".join(q["sql"][:40] + "…" for q in first_value.queries)
        )
        print(
            f"queries per ttv_report: {direct_full} for all accounts, {direct_small} for "
            f"accounts=<first {small.total.estimate.n:,}> "
            f"({'identical' if direct_full == direct_small else 'DIFFERENT'})"
        )
        print(
            f"API request for the CS manager's {small_accounts:,} accounts: p50 {small_api.p50:.0f} ms, "
            f"min {small_api.min:.0f} ms"
        )

        if not pages:
            return
        # Pages, as the admin: the kept reports' pages computed on the fly (no snapshot kept), then served
        # from the snapshots the Celery task keeps; the other report pages are always computed on the fly.
        print()
        kept_keys = [rollup.OVERVIEW_KEY, rollup.COHORTS_KEY]
        ReportSnapshot.objects.filter(key__in=kept_keys).delete()
        kept_pages = ["/reports/", "/reports/cohorts/"]
        for path in kept_pages:
            sample = Sample(get(client, path), few)
            print(
                f"page {path:<24} p50 {sample.p50:7.0f} ms  min {sample.min:7.0f} ms  (of {few}) "
                f"{len(sample.queries):3d} queries  on the fly (no snapshot kept)"
            )
        began = time.perf_counter()
        rollup.overview_refresh()
        refresh = time.perf_counter() - began
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(octet_length(payload::text)), sum(pg_column_size(payload)) "
                "FROM journeys_reportsnapshot WHERE key = ANY(%s)",
                [kept_keys],
            )
            text_size, stored = cursor.fetchone()
        for path in kept_pages:
            sample = Sample(get(client, path), repeat)
            print(
                f"page {path:<24} p50 {sample.p50:7.0f} ms  min {sample.min:7.0f} ms  (of {repeat}) "
                f"{len(sample.queries):3d} queries  from the snapshot"
            )
        for path in ["/reports/at-risk/", "/reports/distribution/", "/reports/funnel/", "/reports/bottlenecks/"]:
            sample = Sample(get(client, path), repeat)
            print(
                f"page {path:<24} p50 {sample.p50:7.0f} ms  min {sample.min:7.0f} ms  (of {repeat}) "
                f"{len(sample.queries):3d} queries  on the fly"
            )
        print(
            f"overview_refresh() (the Celery task: overview and cohort reports, 30 reports): {refresh:.1f} s; "
            f"the snapshots' payload is {text_size / 1e6:.2f} MB of JSON ({stored / 1e6:.2f} MB stored)"
        )
        ReportSnapshot.objects.filter(key__in=kept_keys).delete()

    def measure_sql_reports(self) -> None:
        """The bottlenecks page against its own SQL, and the first pages of the rows API."""
        from django.db import connection
        from django.db.models import Count
        from django.test import Client

        import bench.portfolio as portfolio  # the steps and step states the bottlenecks need
        from journeys.onboarding.models import Journey

        portfolio.add_steps()
        repeat = self.args.repeat
        client = Client()
        client.force_login(self.admin)
        playbook = (
            Journey.objects.filter(playbook_key__startswith=PREFIX)
            .values("playbook_key")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("playbook_key", "n")
            .first()
        )
        assert playbook is not None
        key, journeys = playbook
        path = f"/reports/bottlenecks/?playbook={key}"

        def page() -> object:
            response = client.get(path, secure=True)
            assert response.status_code == 200, (path, response.status_code)
            return response

        page()  # warm
        statements = [(q["sql"], float(q["time"])) for q in Sample(page, 1).queries]

        def sql_alone() -> None:
            # Every statement the page ran, one after the other: executed, its rows received by the
            # client, not converted to Python (what turning them into objects costs is the page's).
            with connection.cursor() as cursor:
                for sql, _seconds in statements:
                    cursor.execute(sql)

        # In turns, so that both see the same load on a shared machine.
        sample, alone = Sample(page, 1), Sample(sql_alone, 1)
        for _ in range(repeat - 1):
            sample._call(page)
            alone._call(sql_alone)
        ratios = sorted(a / b for a, b in zip(sample.times, alone.times, strict=True))
        heaviest, heaviest_time = max(statements, key=lambda item: item[1])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + heaviest)
            plan = [row[0] for row in cursor.fetchall()]
        executed = next((line for line in plan if line.startswith("Execution Time")), "?")
        spills = [line.strip() for line in plan if "Disk" in line or "external" in line]
        print(
            f"\nbottlenecks page {path} ({journeys:,} journeys): p50 {sample.p50:.0f} ms, min {sample.min:.0f} ms "
            f"(of {repeat}), {len(statements)} queries"
        )
        print(
            f"its SQL alone (the page's {len(statements)} statements, rows received): p50 {alone.p50:.0f} ms, "
            f"min {alone.min:.0f} ms; page / SQL {sample.p50 / alone.p50:.2f}x (target <= 1.5x); "
            f"per turn {statistics.median(ratios):.2f}x median, {ratios[0]:.2f}x-{ratios[-1]:.2f}x"
        )
        print(
            f"its heaviest statement: {heaviest_time * 1000:.0f} ms in the page; EXPLAIN ANALYZE {executed}; "
            f"spills to disk: {'; '.join(spills) or 'none'}"
        )
        if self.args.explain:
            print("\n".join(plan))

        # The rows API: its first page, the next one by its link, and the query count for few accounts.
        rows_path = "/api/v1/reports/ttv/rows/?kind=first_value"

        def first_page() -> object:
            response = client.get(rows_path, secure=True)
            assert response.status_code == 200, (rows_path, response.status_code)
            return response

        first = Sample(first_page, repeat)
        body = first.result.json()
        following = body["next"].replace("http://testserver", "").replace("https://testserver", "")
        second = Sample(lambda: client.get(following, secure=True), repeat)
        print(
            f"\nrows API {rows_path}: first page of {len(body['results'])} p50 {first.p50:.1f} ms, "
            f"min {first.min:.1f} ms (target <= 100 ms), {len(first.queries)} queries; "
            f"the next page p50 {second.p50:.1f} ms"
        )
        if self.args.explain:
            rows_sql = max(first.queries, key=lambda query: float(query["time"]))["sql"]
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + rows_sql)
                print("\n".join(row[0] for row in cursor.fetchall()))

    def business_days(self) -> None:
        """The reports in business days against the same reports in calendar days, on the fly."""
        from django.test import Client

        from journeys.reports import measurement, rollup
        from journeys.reports.models import ReportSnapshot

        repeat, few = self.args.repeat, min(self.args.repeat, 3)
        client = Client()
        client.force_login(self.admin)
        ReportSnapshot.objects.filter(key__in=[rollup.OVERVIEW_KEY, rollup.COHORTS_KEY]).delete()

        def get(path: str) -> Callable[[], object]:
            def call() -> object:
                response = client.get(path, secure=True)
                assert response.status_code == 200, (path, response.status_code, response.content[:300])
                return response

            return call

        def report(business_days: bool) -> Callable[[], object]:
            return lambda: measurement.ttv_report(kind="first_value", group_by="segment", business_days=business_days)

        api = "/api/v1/reports/ttv/?kind=first_value&group_by=segment"
        cases: list[tuple[str, Callable[[], object], Callable[[], object], int]] = [
            ("page /reports/ (13 reports, 1 SQL)", get("/reports/?kind=first_value"),
             get("/reports/?kind=first_value&business_days=on"), few),
            ("ttv_report first_value by segment", report(False), report(True), repeat),
            ("API first_value by segment", get(api), get(api + "&business_days=true"), repeat),
        ]  # fmt: skip
        get("/reports/?kind=first_value&business_days=on")()  # warm-up
        print("\nbusiness days against calendar days, on the fly: ms, median and min; queries calendar/business")
        print(
            f"{'report':<34} {'calendar p50':>12} {'min':>6} {'business p50':>12} {'min':>6}"
            f" {'business/calendar':>17} {'queries':>9}"
        )
        for name, calendar_call, business_call, times in cases:
            calendar = Sample(calendar_call, times)
            business = Sample(business_call, times)
            print(
                f"{name:<34} {calendar.p50:12.0f} {calendar.min:6.0f} {business.p50:12.0f} {business.min:6.0f}"
                f" {business.p50 / calendar.p50:16.2f}x {len(calendar.queries):4d}/{len(business.queries):<4d}"
            )

    def raw_sql(self, kind: str, group_by: str) -> tuple[str, list]:
        from django.conf import settings
        from django.utils import timezone

        now = timezone.now()
        if group_by == "segment":
            return RAW_BY_SEGMENT, [kind, now, now]
        return RAW_BY_MONTH, [kind, settings.TIME_ZONE, now, now]

    def raw(self, kind: str, group_by: str) -> list[tuple]:
        from django.db import connection

        sql, params = self.raw_sql(kind, group_by)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


if __name__ == "__main__":
    main()
