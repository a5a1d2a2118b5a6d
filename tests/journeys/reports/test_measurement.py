"""TTV measurement: Kaplan-Meier figures cross-checked against lifelines on generated data, and the
rows and reports built from a small world of journeys (censoring, groups, filters, business days,
tenancy, query counts)."""

from __future__ import annotations

import json
import math
import random
import statistics
import warnings
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times, qth_survival_times

from journeys.onboarding.models import Achievement, Journey, Milestone, Playbook
from journeys.onboarding.services.journeys import journey_start
from journeys.onboarding.services.playbooks import playbook_publish
from journeys.reports import measurement
from journeys.reports.measurement import Estimate, Row, kaplan_meier, ttv_report, ttv_rows
from portal.models import Account, MilestoneKind, Segment, User
from portal.tenancy import visible_accounts
from tests.factories import (
    AccountFactory,
    AchievementFactory,
    CsmFactory,
    MilestoneFactory,
    PlaybookFactory,
    PublishedPlaybookFactory,
    SegmentFactory,
    StepFactory,
)
from tests.queries import assert_queries, assert_same_queries, capture_queries, statements

TOKYO = ZoneInfo("Asia/Tokyo")
QUANTILES = (("median_days", Fraction(1, 2)), ("p75_days", Fraction(1, 4)), ("p90_days", Fraction(1, 10)))


# --- Statistics against lifelines --------------------------------------------------------------


def generated(seed: int) -> tuple[list[float], list[bool], float | None]:
    """A data set of one of eight shapes: single account, heavy ties (integer days, zeros included),
    extreme ties, all censored, all reached, continuous durations."""
    r = random.Random(seed)
    shape = seed % 8
    n = 1 if shape == 0 else r.randint(1, 300)
    if shape == 0:
        durations = [r.choice([0.0, float(r.randint(0, 5)), r.uniform(0, 30)])]
    elif shape in (1, 2, 4, 5):
        durations = [float(r.randint(0, 12)) for _ in range(n)]
    elif shape == 3:
        durations = [float(r.randint(0, 2)) for _ in range(n)]
    else:
        durations = [round(r.expovariate(1 / 15), 2) for _ in range(n)]
    share = {4: 0.0, 5: 1.0}.get(shape, r.random())
    reached = [r.random() < share for _ in range(n)]
    target = r.choice([None, float(r.randint(0, 15)), r.choice(durations), r.uniform(0, 40)])
    return durations, reached, target


def fit(durations: list[float], reached: list[bool]) -> KaplanMeierFitter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KaplanMeierFitter().fit(durations, reached)


def finite(value: float) -> float | None:
    value = float(value)
    return None if math.isinf(value) or math.isnan(value) else value


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) <= 1e-9)


def exact_quantile(durations: list[float], reached: list[bool], q: Fraction) -> float | None:
    """The smallest time where the exact (rational) S is <= q: written apart from the module's code."""
    at_risk = len(durations)
    s = Fraction(1)
    for t in sorted(set(durations)):
        deaths = sum(1 for d, e in zip(durations, reached, strict=True) if d == t and e)
        if deaths:
            s *= Fraction(at_risk - deaths, at_risk)
            if s <= q:
                return t
        at_risk -= sum(1 for d in durations if d == t)
    return None


@pytest.mark.parametrize("seed", range(200))
def test_kaplan_meier_equals_lifelines(seed: int) -> None:
    durations, reached, target = generated(seed)
    estimate = kaplan_meier(durations, reached, target_days=target)
    kmf = fit(durations, reached)
    survival = kmf.survival_function_.iloc[:, 0]

    assert estimate.n == kmf.event_table["removed"].sum() == len(durations)
    assert estimate.reached == kmf.event_table["observed"].sum()
    assert estimate.censored == kmf.event_table["censored"].sum()
    for name, q in QUANTILES:
        ours = getattr(estimate, name)
        assert ours == exact_quantile(durations, reached, q), name
        theirs = finite(qth_survival_times(float(q), kmf.survival_function_))
        if ours != theirs:
            # Only where S touches q exactly and lifelines' exp(sum of logs) lands a hair above it.
            assert ours is not None and abs(survival.loc[ours] - float(q)) < 1e-12, (name, ours, theirs)
    interval = median_survival_times(kmf.confidence_interval_)
    lower, upper = finite(interval.iloc[0, 0]), finite(interval.iloc[0, 1])
    assert close(estimate.median_ci[0], lower) and close(estimate.median_ci[1], upper), (
        estimate.median_ci,
        lower,
        upper,
    )
    if target is None:
        assert estimate.within_target_share is None
    else:
        expected = 1 - float(kmf.survival_function_at_times(target).iloc[0])
        assert estimate.within_target_share == pytest.approx(expected, abs=1e-9)
    arrived = [d for d, e in zip(durations, reached, strict=True) if e]
    assert close(estimate.naive_median_days, statistics.median(arrived) if arrived else None)
    assert estimate.curve[0] == (0.0, 0.0)
    assert estimate.curve[-1][1] == pytest.approx(1 - survival.iloc[-1], abs=1e-9)
    assert estimate.curve[-1][0] == max(durations)
    assert all(a[0] <= b[0] and a[1] <= b[1] for a, b in zip(estimate.curve, estimate.curve[1:], strict=False))


def test_generated_data_covers_the_edge_cases() -> None:
    """The cross-check above is only as good as its data: make sure the hard cases are in it."""
    sets = [generated(seed) for seed in range(200)]
    assert any(len(d) == 1 and d[0] == 0.0 for d, _e, _t in sets)
    assert any(len(d) == 1 and not e[0] for d, e, _t in sets)
    assert sum(1 for d, e, _t in sets if len(d) > 1 and not any(e)) >= 20
    assert sum(1 for d, e, _t in sets if len(d) > 1 and all(e)) >= 20
    assert any(len(set(d)) < len(d) / 10 for d, _e, _t in sets)
    assert any(t is not None and t in d for d, _e, t in sets)
    touches = sum(
        _touches(durations, reached, getattr(kaplan_meier(durations, reached), name), q)
        for durations, reached, _target in sets
        for name, q in QUANTILES
    )
    assert touches >= 5


def _touches(durations: list[float], reached: list[bool], t: float | None, q: Fraction) -> int:
    """1 if the exact S(t) is exactly q."""
    if t is None:
        return 0
    at_risk, s = len(durations), Fraction(1)
    for time in sorted(set(durations)):
        if time > t:
            break
        deaths = sum(1 for d, e in zip(durations, reached, strict=True) if d == time and e)
        if deaths:
            s *= Fraction(at_risk - deaths, at_risk)
        at_risk -= durations.count(time)
    return int(s == q)


def test_a_curve_touching_the_share_exactly_reaches_it_there() -> None:
    # 4 of 8 reached on day 1: S(1) = 1/2 exactly, so half have reached by day 1.
    durations = [1, 1, 1, 1, 3, 4, 7, 8]
    reached = [True, True, True, True, False, True, False, False]
    assert kaplan_meier(durations, reached).median_days == 1.0
    # Eight reached on days 1..8: S(6) = 1/4 exactly, S(8) = 0 is the first at or below 1/10.
    estimate = kaplan_meier([float(d) for d in range(1, 9)], [True] * 8)
    assert (estimate.median_days, estimate.p75_days, estimate.p90_days) == (4.0, 6.0, 8.0)
    assert estimate.naive_median_days == 4.5


def test_censored_accounts_stay_in_the_estimate_and_the_naive_median_is_lower() -> None:
    # Two reached early; six still waiting after 30 days. The naive median says 2.5 days; KM says
    # three quarters have not arrived yet, so there is no median.
    durations = [2.0, 3.0] + [30.0] * 6
    estimate = kaplan_meier(durations, [True, True] + [False] * 6, target_days=14)
    assert (estimate.n, estimate.reached, estimate.censored) == (8, 2, 6)
    assert estimate.median_days is None and estimate.median_ci[1] is None
    assert estimate.naive_median_days == 2.5
    assert estimate.within_target_share == pytest.approx(0.25)
    assert estimate.curve == [(0.0, 0.0), (2.0, 0.125), (3.0, 0.25), (30.0, 0.25)]


def test_empty_single_and_all_censored_groups() -> None:
    empty = kaplan_meier([], [], target_days=7)
    assert empty == Estimate(
        n=0, reached=0, censored=0, median_days=None, median_ci=(None, None), p75_days=None, p90_days=None,
        target_days=7, within_target_share=None, naive_median_days=None, curve=[(0.0, 0.0)],
    )  # fmt: skip
    single = kaplan_meier([0.0], [True], target_days=0)
    assert (single.median_days, single.median_ci, single.p90_days, single.within_target_share) == (
        0.0, (0.0, 0.0), 0.0, 1.0,
    )  # fmt: skip
    waiting = kaplan_meier([5.0, 9.0, 9.0], [False, False, False], target_days=30)
    assert (waiting.median_days, waiting.median_ci, waiting.within_target_share) == (None, (None, None), 0.0)
    assert waiting.naive_median_days is None


@pytest.mark.parametrize(
    ("durations", "reached", "target"),
    [([1.0, -0.5], [True, True], None), ([1.0, math.nan], [True, True], None), ([1.0, math.inf], [True, False], None),
     ([1.0], [True, False], None), ([1.0], [True], -1)],
)  # fmt: skip
def test_bad_input_is_refused(durations: list[float], reached: list[bool], target: float | None) -> None:
    with pytest.raises(ValueError):
        kaplan_meier(durations, reached, target_days=target)


# --- Rows and reports from the database --------------------------------------------------------

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=TOKYO)


def tokyo(*args: int) -> datetime:
    return datetime(*args, tzinfo=TOKYO)


def reach(journey: Journey, key: str, at: datetime) -> Achievement:
    milestone = Milestone.objects.get(playbook_id=journey.playbook_id, key=key)
    return AchievementFactory(journey=journey, milestone=milestone, achieved_at=at)


@dataclass
class Measured:
    smb: Segment
    enterprise: Segment
    csm_a: User
    csm_b: User
    v1: Playbook
    v2: Playbook


@pytest.fixture
def measured(db: None) -> Measured:
    """Onboarding v1 (two "first value" milestones, the first without its own target) and v2 (a
    14-day target of its own); SMB (21 days) and Enterprise (45 days); accounts started at known
    times, one churned, one reaching after churn, one reaching after "now", one starting after it."""
    smb = SegmentFactory(name="SMB", slug="smb", position=1, target_first_value_days=21)
    enterprise = SegmentFactory(name="Enterprise", slug="enterprise", position=2, target_first_value_days=45)
    csm_a = CsmFactory(name="Aiko CSM")
    csm_b = CsmFactory(name="Ben CSM")
    v1 = PublishedPlaybookFactory(key="onboarding", name="Onboarding", step_count=1)
    MilestoneFactory(playbook=v1, key="second-value", position=1, kind=MilestoneKind.FIRST_VALUE)
    MilestoneFactory(playbook=v1, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    MilestoneFactory(playbook=v1, key="login", position=2, kind=MilestoneKind.FIRST_ACTION, target_days=3)

    def start(slug: str, at: datetime, *, segment: Segment = smb, csm: User | None = csm_a, **fields) -> Journey:
        account = AccountFactory(slug=slug, name=slug.title(), segment=segment, csm=csm, **fields)
        return journey_start(account=account, playbook=Playbook.objects.get(key="onboarding", status="published"),
                             started_at=at)  # fmt: skip

    alpha = start("alpha", tokyo(2026, 1, 10, 9), plan=Account.Plan.STARTER)
    reach(alpha, "first-value", tokyo(2026, 1, 20, 9))  # 10 days
    reach(alpha, "login", tokyo(2026, 1, 10, 21))  # half a day
    start("bravo", tokyo(2026, 2, 1), plan=Account.Plan.GROWTH)  # waiting: censored at now
    start("charlie", tokyo(2026, 2, 15), csm=csm_b, status=Account.Status.CHURNED, churned_at=tokyo(2026, 3, 1))
    late = start("delta", tokyo(2026, 3, 31, 23, 30), status=Account.Status.CHURNED, churned_at=tokyo(2026, 4, 10))
    reach(late, "first-value", tokyo(2026, 4, 20, 23, 30))  # after churn: still reached, 20 days
    second = start("echo", tokyo(2026, 3, 5), csm=None)
    reach(second, "second-value", tokyo(2026, 3, 7))  # not the first "first value" milestone
    future = start("foxtrot", tokyo(2026, 6, 1))
    reach(future, "first-value", tokyo(2026, 7, 2))  # after now: not yet
    start("golf", tokyo(2026, 7, 5))  # starts after now

    v2 = PlaybookFactory(key="onboarding", version=2, name="Onboarding")
    StepFactory(playbook=v2, key="step-1", position=0)
    MilestoneFactory(playbook=v2, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE, target_days=14)
    playbook_publish(playbook=v2, by=None)
    hotel = start("hotel", tokyo(2026, 4, 1, 0, 30), segment=enterprise, csm=csm_b, plan=Account.Plan.ENTERPRISE)
    reach(hotel, "first-value", tokyo(2026, 4, 21, 12, 30))  # 20.5 days
    start("india", tokyo(2026, 5, 1), segment=enterprise, csm=csm_b, plan=Account.Plan.ENTERPRISE)
    return Measured(smb=smb, enterprise=enterprise, csm_a=csm_a, csm_b=csm_b, v1=v1, v2=v2)


def by_slug(rows: list[Row]) -> dict[str, Row]:
    return {row.account_slug: row for row in rows}


def test_rows_measure_from_the_start_and_censor_at_now_or_churn(measured: Measured) -> None:
    rows = by_slug(ttv_rows(kind=MilestoneKind.FIRST_VALUE, now=NOW))
    assert set(rows) == {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "hotel", "india"}  # not golf
    summary = {slug: (row.duration_days, row.censored, row.target_days) for slug, row in rows.items()}
    assert summary == {
        "alpha": (10.0, False, 21),
        "bravo": ((NOW - tokyo(2026, 2, 1)).total_seconds() / 86400, True, 21),
        "charlie": (14.0, True, 21),  # churned on 1 March
        "delta": (20.0, False, 21),  # reached ten days after churning
        "echo": ((NOW - tokyo(2026, 3, 5)).total_seconds() / 86400, True, 21),  # only the second milestone
        "foxtrot": (29.5, True, 21),  # reaches on 2 July: not as of 30 June noon
        "hotel": (20.5, False, 14),  # v2's own target
        "india": ((NOW - tokyo(2026, 5, 1)).total_seconds() / 86400, True, 14),
    }
    assert {row.milestone_key for row in rows.values()} == {"first-value"}
    assert rows["alpha"].achieved_at == tokyo(2026, 1, 20, 9) and rows["foxtrot"].achieved_at is None
    assert rows["alpha"].segment_name == "SMB" and rows["hotel"].segment_name == "Enterprise"


def test_a_milestone_key_instead_of_a_kind(measured: Measured) -> None:
    rows = by_slug(ttv_rows(milestone_key="second-value", now=NOW))
    assert set(rows) == {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}  # v1 only
    assert (rows["echo"].duration_days, rows["echo"].censored, rows["echo"].kind) == (2.0, False, "first_value")
    assert rows["alpha"].censored
    login = by_slug(ttv_rows(kind=MilestoneKind.FIRST_ACTION, now=NOW))
    assert (login["alpha"].duration_days, login["alpha"].target_days) == (0.5, 3)
    assert set(login) == {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
    assert ttv_rows(kind=MilestoneKind.ROI, now=NOW) == []
    assert ttv_rows(milestone_key="first-value", kind=MilestoneKind.FIRST_ACTION, now=NOW) == []


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        (None, {"alpha": "all", "hotel": "all"}),
        ("segment", {"alpha": "smb", "hotel": "enterprise"}),
        ("plan", {"alpha": "starter", "bravo": "growth", "hotel": "enterprise"}),
        ("playbook_version", {"alpha": "onboarding:v1", "hotel": "onboarding:v2"}),
        ("cohort_month", {"alpha": "2026-01", "delta": "2026-03", "hotel": "2026-04"}),
        ("cohort_quarter", {"alpha": "2026-Q1", "delta": "2026-Q1", "hotel": "2026-Q2"}),
    ],
)
def test_group_keys(measured: Measured, group_by: str | None, expected: dict[str, str]) -> None:
    rows = by_slug(ttv_rows(kind=MilestoneKind.FIRST_VALUE, group_by=group_by, now=NOW))
    assert {slug: rows[slug].group_key for slug in expected} == expected


def test_cohorts_and_date_filters_use_tokyo_time(measured: Measured) -> None:
    # delta starts 2026-03-31 23:30 in Tokyo (14:30 UTC), hotel 2026-04-01 00:30 (15:30 UTC the day before).
    rows = by_slug(ttv_rows(kind=MilestoneKind.FIRST_VALUE, group_by="cohort_month", now=NOW))
    assert (rows["delta"].cohort, rows["hotel"].cohort) == ("2026-03", "2026-04")
    utc = ZoneInfo("UTC")
    assert rows["delta"].started_at.astimezone(utc).day == 31 == rows["hotel"].started_at.astimezone(utc).day
    march = ttv_rows(kind=MilestoneKind.FIRST_VALUE, start_from=date(2026, 2, 1), start_to=date(2026, 3, 31), now=NOW)
    assert sorted(row.account_slug for row in march) == ["bravo", "charlie", "delta", "echo"]
    april_on = ttv_rows(kind=MilestoneKind.FIRST_VALUE, start_from=date(2026, 4, 1), now=NOW)
    assert sorted(row.account_slug for row in april_on) == ["foxtrot", "hotel", "india"]
    until_jan = ttv_rows(kind=MilestoneKind.FIRST_VALUE, start_to=date(2026, 1, 10), now=NOW)
    assert [row.account_slug for row in until_jan] == ["alpha"]


def test_rows_and_reports_only_cover_the_accounts_given(measured: Measured) -> None:
    mine = visible_accounts(user=measured.csm_b)
    assert sorted(r.account_slug for r in ttv_rows(kind="first_value", accounts=mine, now=NOW)) == [
        "charlie", "hotel", "india",
    ]  # fmt: skip
    report = ttv_report(kind="first_value", group_by="csm", accounts=mine, now=NOW)
    assert [(g.key, g.estimate.n) for g in report.groups] == [(str(measured.csm_b.pk), 3)]


def test_report_by_segment(measured: Measured) -> None:
    report = ttv_report(kind=MilestoneKind.FIRST_VALUE, group_by="segment", now=NOW)
    assert [(g.key, g.label, g.estimate.n, g.estimate.reached) for g in report.groups] == [
        ("smb", "SMB", 6, 2),
        ("enterprise", "Enterprise", 2, 1),
    ]
    rows = ttv_rows(kind=MilestoneKind.FIRST_VALUE, group_by="segment", now=NOW)
    smb_rows = [row for row in rows if row.group_key == "smb"]
    expected = kaplan_meier([r.duration_days for r in smb_rows], [not r.censored for r in smb_rows], target_days=21)
    assert report.groups[0].estimate == expected
    # SMB: 10 (reached), 14 (churn, censored), 20 (reached), 29.5, 117.5, 149.5 (censored): S(20) = 5/6 * 3/4.
    assert expected.within_target_share == pytest.approx(1 - 5 / 6 * 3 / 4)
    # The milestone's own target before the segment's, grouped by segment too (v2: 14 days, not 45).
    enterprise = report.groups[1].estimate
    assert (enterprise.target_days, enterprise.targets_differ) == (14, False)
    assert enterprise.within_target_share == 0.0  # hotel reached after 20.5 days, india still waiting
    # The total mixes 21 (SMB, v1) and 14 (Enterprise, v2): no one target, each journey against its own.
    total = report.total.estimate
    assert (total.n, total.target_days, total.targets_differ) == (8, None, True)
    assert (total.target_min_days, total.target_max_days) == (14, 21)
    assert total.within_target_share == pytest.approx(6 / 8 * (1 - 5 / 6 * 3 / 4) + 2 / 8 * 0.0)

    data = report.as_dict()
    json.dumps(data)
    assert (data["kind"], data["group_by"], data["generated_at"]) == ("first_value", "segment", NOW.isoformat())
    smb = data["groups"][0]
    assert set(smb) >= {
        "key", "n", "reached", "censored", "median_days", "median_ci", "p75_days", "p90_days", "target_days",
        "within_target_share", "naive_median_days",
    }  # fmt: skip
    assert smb == {
        "key": "smb", "label": "SMB", "n": 6, "reached": 2, "censored": 4, "median_days": None,
        "median_ci": [round(expected.median_ci[0], 1) if expected.median_ci[0] is not None else None, None],
        "p75_days": None, "p90_days": None, "target_days": 21, "targets_differ": False, "target_days_min": None,
        "target_days_max": None, "within_target_share": 0.375, "naive_median_days": 15.0,
    }  # fmt: skip
    assert data["total"]["target_days"] is None and data["total"]["targets_differ"] is True
    assert (data["total"]["target_days_min"], data["total"]["target_days_max"]) == (14, 21)


def test_report_groups_are_sorted_and_rounded(measured: Measured) -> None:
    by_plan = ttv_report(kind="first_value", group_by="plan", now=NOW)
    assert [g.key for g in by_plan.groups] == ["starter", "growth", "enterprise"]
    with translation.override("en"):
        by_csm = ttv_report(kind="first_value", group_by="csm", now=NOW)
    assert [g.label for g in by_csm.groups] == ["Aiko CSM", "Ben CSM", "No CS manager"]
    cohorts = ttv_report(kind="first_value", group_by="cohort_month", now=NOW)
    assert [g.key for g in cohorts.groups] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    versions = ttv_report(kind="first_value", group_by="playbook_version", now=NOW)
    assert [(g.key, g.label, g.estimate.target_days) for g in versions.groups] == [
        ("onboarding:v1", "Onboarding v1", 21), ("onboarding:v2", "Onboarding v2", 14),
    ]  # fmt: skip
    v2 = versions.as_dict()["groups"][1]
    # hotel reached after 20.5 days, india still waiting after 60.5: S(20.5) = 1/2.
    assert (v2["median_days"], v2["naive_median_days"], v2["within_target_share"]) == (20.5, 20.5, 0.0)
    everyone = ttv_report(kind="first_value", now=NOW)
    assert [g.key for g in everyone.groups] == ["all"] and everyone.total == everyone.groups[0]
    assert ttv_report(kind="roi", group_by="segment", now=NOW).as_dict()["groups"] == []


def test_business_days_skip_weekends_and_japanese_holidays(db: None) -> None:
    segment = SegmentFactory(name="SMB", slug="smb", target_first_value_days=5)
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=1)
    MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)

    def start(slug: str, at: datetime) -> Journey:
        return journey_start(account=AccountFactory(slug=slug, segment=segment), playbook=playbook, started_at=at)

    # Friday noon to Thursday noon: Sat, Sun (Constitution Day), Mon 4, Tue 5, Wed 6 (substitute) off.
    golden = start("golden-week", tokyo(2026, 5, 1, 12))
    reach(golden, "first-value", tokyo(2026, 5, 7, 12))
    # Friday 18:00 to Monday 06:00: a quarter of each working day.
    weekend = start("weekend", tokyo(2026, 6, 5, 18))
    reach(weekend, "first-value", tokyo(2026, 6, 8, 6))
    # Started on a Saturday, still waiting on Wednesday 2026-06-17 at 18:00: Mon, Tue and 3/4 of Wed.
    waiting = start("waiting", tokyo(2026, 6, 13, 10))
    now = tokyo(2026, 6, 17, 18)

    rows = by_slug(ttv_rows(kind="first_value", business_days=True, now=now))
    assert rows["golden-week"].duration_days == pytest.approx(1.0)
    assert rows["golden-week"].calendar_days == pytest.approx(6.0)
    assert rows["weekend"].duration_days == pytest.approx(0.5)
    assert rows["weekend"].calendar_days == pytest.approx(2.5)
    assert rows["waiting"].duration_days == pytest.approx(2.75) and rows["waiting"].censored
    calendar = by_slug(ttv_rows(kind="first_value", now=now))
    assert calendar["golden-week"].duration_days == pytest.approx(6.0)
    assert waiting.pk == rows["waiting"].journey_id

    report = ttv_report(kind="first_value", business_days=True, now=now)
    estimate = report.total.estimate
    assert (estimate.median_days, estimate.naive_median_days) == (pytest.approx(1.0), pytest.approx(0.75))
    # The 5-day target is a calendar deadline: 2.5 days in, yes; 6 calendar days, no.
    assert estimate.within_target_share == pytest.approx(1 / 3)


def test_report_query_count_does_not_grow_with_accounts(db: None) -> None:
    segment = SegmentFactory(name="SMB", slug="smb")
    csm = CsmFactory()
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=0)
    MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    start = datetime(2026, 1, 5, 9, tzinfo=TOKYO)

    def add_accounts(count: int, offset: int) -> None:
        for i in range(offset, offset + count):
            journey = journey_start(
                account=AccountFactory(segment=segment, csm=csm), playbook=playbook, started_at=start + timedelta(i)
            )
            if i % 3:
                reach(journey, "first-value", journey.started_at + timedelta(days=i % 17, hours=i))

    add_accounts(3, 0)
    with capture_queries() as few:
        small = ttv_report(kind="first_value", group_by="cohort_month", business_days=True, now=NOW)
    add_accounts(57, 3)
    with capture_queries() as many:
        large = ttv_report(kind="first_value", group_by="cohort_month", business_days=True, now=NOW)
    assert (small.total.estimate.n, large.total.estimate.n) == (3, 60)
    assert_same_queries(few, many, expected=2)  # milestones, rows


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kind": "time_travel"}, "Unknown milestone kind"),
        ({"kind": "first_value", "group_by": "weather"}, "Unknown group_by"),
        ({}, "Give a milestone kind or a milestone key"),
        ({"kind": "first_value", "start_from": date(2026, 2, 1), "start_to": date(2026, 1, 1)}, "after"),
        ({"kind": "first_value", "now": datetime(2026, 1, 1)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_bad_arguments_are_refused_before_any_query(db: None, arguments: dict, message: str) -> None:
    with assert_queries(0), pytest.raises(ValueError, match=message):
        ttv_report(**arguments)


# --- The calendar-day report computed from lean rows, against the rows and lifelines --------------


@pytest.mark.parametrize("group_by", [None, "segment", "plan", "csm", "playbook_version", "cohort_month",
                                      "cohort_quarter"])  # fmt: skip
@pytest.mark.parametrize(
    "measure", [{"kind": "first_value", "milestone_key": None}, {"kind": None, "milestone_key": "second-value"}]
)
@pytest.mark.parametrize("business_days", [False, True])
def test_the_lean_report_equals_the_one_from_full_rows(
    measured: Measured, group_by: str | None, measure: dict, business_days: bool
) -> None:
    arguments = {**measure, "group_by": group_by, "start_from": None, "start_to": None, "now": NOW, "accounts": None}
    lean_groups, lean_total = measurement._report_in_db(**arguments, business_days=business_days)
    row_groups, row_total = measurement._report_from_rows(**arguments, business_days=business_days)
    assert [(g.key, g.label) for g in lean_groups] == [(g.key, g.label) for g in row_groups]
    assert lean_groups  # something to compare
    for lean, rows in zip([*lean_groups, lean_total], [*row_groups, row_total], strict=True):
        assert lean.as_dict() == rows.as_dict()
        assert lean.estimate == rows.estimate


def generated_world(seed: int) -> list[Segment]:
    """Four segments of accounts started at whole hours, reaching after whole days (ties everywhere):
    one where S touches 1/2 exactly after a censoring, one where nobody arrives, one of a single
    account, and one of 40 random accounts, some churned."""
    r = random.Random(seed)
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=0)
    MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    segments = [
        SegmentFactory(name=name, slug=name.lower(), position=i, target_first_value_days=target)
        for i, (name, target) in enumerate([("Touch", 3), ("Waiting", 7), ("Single", 1), ("Random", 10)])
    ]
    base = datetime(2026, 1, 5, 9, tzinfo=TOKYO)

    def account(segment: Segment, start_day: int, reach_after: int | None, churn_after: int | None = None) -> None:
        started = base + timedelta(days=start_day, hours=r.randint(0, 3))
        fields = {}
        if churn_after is not None:
            fields = {"status": Account.Status.CHURNED, "churned_at": started + timedelta(days=churn_after)}
        journey = journey_start(account=AccountFactory(segment=segment, **fields), playbook=playbook,
                                started_at=started)  # fmt: skip
        if reach_after is not None:
            reach(journey, "first-value", started + timedelta(days=reach_after))

    # Touch: one censored at day 1 (churn), then 4 of the 8 still at risk reach on day 2: S(2) = 1/2.
    account(segments[0], 0, None, churn_after=1)
    for after in (2, 2, 2, 2, 5, None, None, 9):
        account(segments[0], 1, after)
    for _ in range(5):
        account(segments[1], r.randint(0, 30), None)
    account(segments[2], 3, 0)
    for _ in range(40):
        churn = r.choice([None, None, None, r.randint(0, 20)])
        reach_after = r.choice([None, r.randint(0, 12), r.randint(0, 12), r.randint(0, 30)])
        if churn is not None and reach_after is not None and r.random() < 0.5:
            reach_after = None
        account(segments[3], r.randint(0, 120), reach_after, churn_after=churn)
    return segments


@pytest.mark.parametrize("seed", range(3))
def test_report_figures_from_the_database_equal_lifelines(db: None, seed: int) -> None:
    segments = generated_world(seed)
    report = ttv_report(kind="first_value", group_by="segment", now=NOW)
    rows = ttv_rows(kind="first_value", group_by="segment", now=NOW)
    assert [g.key for g in report.groups] == [s.slug for s in segments]
    for group in [*report.groups, report.total]:
        members = [row for row in rows if group.key in ("all", row.group_key)]
        durations = [row.duration_days for row in members]
        reached = [not row.censored for row in members]
        estimate = group.estimate
        assert (estimate.n, estimate.reached) == (len(members), sum(reached))
        for name, q in QUANTILES:
            assert getattr(estimate, name) == exact_quantile(durations, reached, q), (group.key, name)
        kmf = fit(durations, reached)
        interval = median_survival_times(kmf.confidence_interval_)
        assert close(estimate.median_ci[0], finite(interval.iloc[0, 0]))
        assert close(estimate.median_ci[1], finite(interval.iloc[0, 1]))
        if estimate.target_days is not None:
            expected = 1 - float(kmf.survival_function_at_times(estimate.target_days).iloc[0])
            assert estimate.within_target_share == pytest.approx(expected, abs=1e-9)
        else:  # the total: each segment's journeys against their segment's own target, weighted by their number
            assert estimate.targets_differ and group.key == "all"
            shares = []
            for target in {row.target_days for row in members}:
                stratum = [row for row in members if row.target_days == target]
                fitted = fit([row.duration_days for row in stratum], [not row.censored for row in stratum])
                shares.append(len(stratum) * (1 - float(fitted.survival_function_at_times(target).iloc[0])))
            assert estimate.within_target_share == pytest.approx(sum(shares) / len(members), abs=1e-9)
            assert (estimate.target_min_days, estimate.target_max_days) == (1, 10)
        arrived = sorted(d for d, e in zip(durations, reached, strict=True) if e)
        assert close(estimate.naive_median_days, statistics.median(arrived) if arrived else None)
    touch, waiting, single = (g.estimate for g in report.groups[:3])
    assert touch.median_days == 2.0 and touch.target_days == 3
    assert (waiting.reached, waiting.median_days, waiting.within_target_share) == (0, None, 0.0)
    assert (single.n, single.median_days, single.median_ci) == (1, 0.0, (0.0, 0.0))


def test_calendar_report_query_count_does_not_grow_with_accounts(db: None) -> None:
    segment = SegmentFactory(name="SMB", slug="smb")
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=0)
    MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)

    def add_accounts(count: int, offset: int) -> None:
        for i in range(offset, offset + count):
            started = datetime(2026, 1, 5, 9, tzinfo=TOKYO) + timedelta(i)
            journey = journey_start(account=AccountFactory(segment=segment), playbook=playbook, started_at=started)
            if i % 3:
                reach(journey, "first-value", started + timedelta(days=i % 17, hours=i))

    reached = []
    for count, offset in ((1, 0), (59, 1)):
        add_accounts(count, offset)
        for group_by, expected in (("segment", 3), ("cohort_month", 2)):
            with assert_queries(expected, label=f"{group_by} with {count + offset} accounts"):
                report = ttv_report(kind="first_value", group_by=group_by, now=NOW)
            reached.append((group_by, report.total.estimate.n))
    assert reached == [("segment", 1), ("cohort_month", 1), ("segment", 60), ("cohort_month", 60)]


def test_an_admin_and_no_filter_give_the_same_report(measured: Measured) -> None:
    everyone = ttv_report(kind="first_value", group_by="segment", now=NOW)
    admin = ttv_report(kind="first_value", group_by="segment", now=NOW, accounts=Account.objects.all())
    assert admin.as_dict() == everyone.as_dict()
    nobody = ttv_report(kind="first_value", group_by="segment", now=NOW, accounts=Account.objects.none())
    assert nobody.groups == [] and nobody.total.estimate.n == 0
    few = ttv_report(kind="first_value", now=NOW, accounts=Account.objects.filter(slug__in=["alpha", "hotel"])[:5])
    assert few.total.estimate.n == 2


def test_large_curves_keep_the_first_and_last_point_of_each_band() -> None:
    rng = random.Random(7)
    durations = [rng.expovariate(1 / 20) for _ in range(20_000)]
    reached = [rng.random() < 0.9 for _ in durations]
    full = kaplan_meier(durations, reached)
    light = kaplan_meier(durations, reached, curve_resolution=0.001)
    assert len(full.curve) > 15_000 and len(light.curve) < 2_100
    assert set(light.curve) <= set(full.curve)  # real points of the curve, none invented
    assert light.curve[-1] == full.curve[-1] and light.curve[-2] == full.curve[-2]
    assert max(b[1] - a[1] for a, b in zip(light.curve, light.curve[1:], strict=False)) < 0.002
    assert replace(light, curve=[]) == replace(full, curve=[])
    small = kaplan_meier([1.0, 2.0, 2.0, 5.0], [True, True, False, True], curve_resolution=0.001)
    assert small.curve == kaplan_meier([1.0, 2.0, 2.0, 5.0], [True, True, False, True]).curve


# --- One target per journey, everywhere ----------------------------------------------------------


def test_every_report_takes_the_milestones_own_target_else_the_segments(db: None) -> None:
    from journeys.onboarding.selectors import journey_checklist
    from journeys.reports.risk import RiskRules, accounts_at_risk, rows_for

    thirty = SegmentFactory(name="Thirty", slug="thirty", position=1, target_first_value_days=30)
    untargeted = SegmentFactory(name="Untargeted", slug="untargeted", position=2, target_first_value_days=None)
    own = PublishedPlaybookFactory(key="own", step_count=1)
    MilestoneFactory(playbook=own, key="fv", kind=MilestoneKind.FIRST_VALUE, target_days=10)
    inherits = PublishedPlaybookFactory(key="inherits", step_count=1)
    MilestoneFactory(playbook=inherits, key="fv", kind=MilestoneKind.FIRST_VALUE, target_days=None)
    started = datetime.now(tz=TOKYO) - timedelta(days=20)
    expected = {}
    for segment, playbook, target in [(thirty, own, 10), (thirty, inherits, 30), (untargeted, own, 10),
                                      (untargeted, inherits, None)]:  # fmt: skip
        account = AccountFactory(slug=f"{segment.slug}-{playbook.key}", segment=segment)
        journey = journey_start(account=account, playbook=playbook, started_at=started)
        expected[account.slug] = target
        milestone = Milestone.objects.get(playbook=playbook, key="fv")
        assert milestone.target_for(segment) == target
        (view,) = (v for v in journey_checklist(journey=journey).milestones if v.milestone.key == "fv")
        assert view.target_at == (None if target is None else started + timedelta(days=target))

    rows = {row.account_slug: row.target_days for row in ttv_rows(kind=MilestoneKind.FIRST_VALUE)}
    assert rows == expected
    portfolio = rows_for(
        list(Account.objects.select_related("segment", "csm")), rules=RiskRules(), now=datetime.now(tz=TOKYO)
    )
    assert {row.account.slug: row.first_value_target for row in portfolio} == expected
    at_risk = {item.row.account_slug: item for item in accounts_at_risk(kind=MilestoneKind.FIRST_VALUE)}
    assert {slug: item.target_days for slug, item in at_risk.items()}.items() <= expected.items()
    overdue = {slug for slug, item in at_risk.items() if item.status == "overdue"}
    assert overdue == {"thirty-own", "untargeted-own"}  # 20 days past a 10-day target; not the 30-day one

    by_segment = {g.key: g.estimate for g in ttv_report(kind=MilestoneKind.FIRST_VALUE, group_by="segment").groups}
    assert (by_segment["thirty"].target_days, by_segment["thirty"].targets_differ) == (None, True)
    assert (by_segment["thirty"].target_min_days, by_segment["thirty"].target_max_days) == (10, 30)
    # One journey with a 10-day target, one with none: they differ; the share counts the one with a target.
    assert (by_segment["untargeted"].targets_differ, by_segment["untargeted"].target_min_days) == (True, 10)
    assert by_segment["untargeted"].within_target_share == 0.0
    by_version = {
        g.key: g.estimate for g in ttv_report(kind=MilestoneKind.FIRST_VALUE, group_by="playbook_version").groups
    }
    assert (by_version["own:v1"].target_days, by_version["own:v1"].targets_differ) == (10, False)
    assert (by_version["inherits:v1"].target_days, by_version["inherits:v1"].targets_differ) == (None, True)
    business = ttv_report(kind=MilestoneKind.FIRST_VALUE, group_by="segment", business_days=True)
    assert [g.estimate.targets_differ for g in business.groups] == [True, True]


def test_the_share_within_own_targets_is_kaplan_meier_per_target() -> None:
    # Target 5: reached at 2 and 7, one censored at 3 (S(5) = 2/3). Target 10: reached at 4, one at 12 (S(10) = 1/2).
    durations, reached, targets = [2, 7, 3, 4, 12, 1], [True, True, False, True, True, True], [5, 5, 5, 10, 10, None]
    share = measurement.within_own_targets(durations, reached, targets)
    assert share == pytest.approx((3 * (1 - 2 / 3) + 2 * (1 - 1 / 2)) / 5)
    same = measurement.within_own_targets([2, 7, 3], [True, True, False], [5, 5, 5])
    assert same == kaplan_meier([2, 7, 3], [True, True, False], target_days=5).within_target_share
    assert measurement.within_own_targets([1.0], [True], [None]) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.floats(0, 120, allow_nan=False), st.integers(0, 40).map(float)),
            st.booleans(),
            st.sampled_from([None, 7, 14, 30, 30.5]),
        ),
        max_size=200,
    )
)
def test_the_share_within_own_targets_weighs_each_target_by_its_journeys(journeys: list) -> None:
    """Against lifelines: per target, its journeys' share reached by the target, weighted by their number."""
    by_target: dict[float, list[tuple[float, bool]]] = {}
    for duration, hit, target in journeys:
        if target is not None:
            by_target.setdefault(target, []).append((duration, hit))
    share = measurement.within_own_targets(*zip(*journeys, strict=True)) if journeys else None
    if not by_target:
        assert share is None
        return
    expected = 0.0
    for target, stratum in by_target.items():
        fitter = KaplanMeierFitter().fit([d for d, _ in stratum], [h for _, h in stratum])
        expected += len(stratum) * (1 - float(fitter.survival_function_at_times(target).iloc[0]))
    assert share == pytest.approx(expected / sum(len(stratum) for stratum in by_target.values()), abs=1e-9)


# --- Every kind over two periods at once (the overview) -------------------------------------------


def assert_periods_equal_the_reports(
    *, start_from: date, start_to: date, previous_from: date, business_days: bool, segment_kinds: list[str]
) -> measurement.Periods:
    """``ttv_periods`` against ``ttv_report`` for each kind and period, figure for figure (curves too)."""
    kinds = MilestoneKind.values
    periods = measurement.ttv_periods(
        kinds=kinds,
        start_from=start_from,
        start_to=start_to,
        previous_from=previous_from,
        segment_kinds=segment_kinds,
        business_days=business_days,
        now=NOW,
    )
    common = {"business_days": business_days, "now": NOW}
    for kind in kinds:
        current = ttv_report(kind=kind, start_from=start_from, start_to=start_to, **common)
        previous = ttv_report(kind=kind, start_from=previous_from, start_to=start_from - timedelta(days=1), **common)
        assert periods.current[kind] == current.total, kind
        assert periods.previous[kind] == previous.total, kind
    assert list(periods.current) == list(periods.previous) == kinds
    assert list(periods.by_segment) == segment_kinds
    for kind in segment_kinds:
        by_segment = ttv_report(kind=kind, group_by="segment", start_from=start_from, start_to=start_to, **common)
        assert periods.by_segment[kind] == by_segment.groups, kind
    return periods


@pytest.mark.parametrize("business_days", [False, True])
@pytest.mark.parametrize(
    ("previous_from", "start_from", "start_to"),
    [
        # delta starts at 23:30 on 31 March and hotel at 00:30 on 1 April (Tokyo): either side of the split.
        (date(2026, 1, 1), date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 1, 1), date(2026, 3, 31), date(2026, 6, 30)),
        (date(2025, 1, 1), date(2026, 1, 1), date(2026, 12, 31)),  # nothing in the previous period
        (date(2026, 7, 1), date(2026, 7, 2), date(2026, 7, 31)),  # nothing started before now
    ],
)
def test_every_kind_over_two_periods_equals_each_report(
    measured: Measured, business_days: bool, previous_from: date, start_from: date, start_to: date
) -> None:
    periods = assert_periods_equal_the_reports(
        start_from=start_from,
        start_to=start_to,
        previous_from=previous_from,
        business_days=business_days,
        segment_kinds=[MilestoneKind.FIRST_VALUE, MilestoneKind.FIRST_ACTION, MilestoneKind.ROI],
    )
    if start_from == date(2026, 4, 1):
        assert periods.previous[MilestoneKind.FIRST_VALUE].estimate.n == 5  # alpha to echo, delta included
        assert periods.current[MilestoneKind.FIRST_VALUE].estimate.n == 3  # foxtrot, hotel, india
        assert [g.key for g in periods.by_segment[MilestoneKind.FIRST_VALUE]] == ["smb", "enterprise"]
        assert periods.by_segment[MilestoneKind.ROI] == []


def test_every_kind_over_two_periods_with_ties_and_targets_that_differ(db: None) -> None:
    """Many journeys on whole days (ties within and across segments), three segments whose positions
    do not follow their ids, two kinds with targets of their own or the segment's, some churned."""
    segments = [
        SegmentFactory(name=name, slug=name.lower(), position=position, target_first_value_days=target)
        for name, position, target in (("Zeta", 2, 10), ("Alpha", 1, None), ("Mid", 1, 7))
    ]
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=0)
    MilestoneFactory(playbook=playbook, key="first-value", position=0, kind=MilestoneKind.FIRST_VALUE)
    MilestoneFactory(playbook=playbook, key="login", position=1, kind=MilestoneKind.FIRST_ACTION, target_days=2)
    rng = random.Random(11)
    for i in range(90):
        started = tokyo(2026, 1, 1, 9) + timedelta(days=rng.randint(0, 170))
        churned = rng.random() < 0.1
        account = AccountFactory(
            segment=segments[i % 3],
            status=Account.Status.CHURNED if churned else Account.Status.ACTIVE,
            churned_at=started + timedelta(days=rng.randint(0, 20)) if churned else None,
        )
        journey = journey_start(account=account, playbook=playbook, started_at=started)
        for key, chance in (("first-value", 0.7), ("login", 0.9)):
            if rng.random() < chance:
                reach(journey, key, started + timedelta(days=rng.randint(0, 12)))
    for business_days in (False, True):
        periods = assert_periods_equal_the_reports(
            start_from=date(2026, 4, 1),
            start_to=date(2026, 6, 30),
            previous_from=date(2026, 1, 1),
            business_days=business_days,
            segment_kinds=[MilestoneKind.FIRST_VALUE, MilestoneKind.FIRST_ACTION],
        )
        assert [g.key for g in periods.by_segment[MilestoneKind.FIRST_VALUE]] == ["alpha", "mid", "zeta"]
        assert periods.current[MilestoneKind.FIRST_VALUE].estimate.targets_differ


def test_every_kind_over_two_periods_in_three_queries_whatever_the_accounts(db: None) -> None:
    segments = [SegmentFactory(name="SMB", slug="smb"), SegmentFactory(name="Enterprise", slug="enterprise")]
    playbook = PublishedPlaybookFactory(key="onboarding", step_count=0)
    for position, kind in enumerate(MilestoneKind.values):
        MilestoneFactory(playbook=playbook, key=f"m-{kind}", position=position, kind=kind)

    def add_accounts(count: int, offset: int) -> None:
        for i in range(offset, offset + count):
            started = tokyo(2026, 1, 5, 9) + timedelta(days=2 * i)
            journey = journey_start(
                account=AccountFactory(segment=segments[i % 2]), playbook=playbook, started_at=started
            )
            if i % 3:
                reach(journey, "m-first_value", started + timedelta(days=i % 17, hours=i))

    arguments = {
        "kinds": MilestoneKind.values,
        "start_from": date(2026, 3, 1),
        "start_to": date(2026, 6, 30),
        "previous_from": date(2025, 11, 1),
        "segment_kinds": MilestoneKind.values,
        "now": NOW,
    }
    for business_days in (False, True):
        add_accounts(1, 0)
        measurement.ttv_periods(**arguments, business_days=business_days)  # the calendar filled once
        with capture_queries() as few:
            small = measurement.ttv_periods(**arguments, business_days=business_days)
        add_accounts(59, 1)
        with capture_queries() as many:
            large = measurement.ttv_periods(**arguments, business_days=business_days)
        Journey.objects.all().delete()
        assert (small.previous["first_value"].estimate.n, small.current["first_value"].estimate.n) == (1, 0)
        assert (large.previous["first_value"].estimate.n, large.current["first_value"].estimate.n) == (28, 32)
        assert_same_queries(few, many, expected=3, label=f"business days {business_days}")  # milestones, rows, labels


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"kinds": ["time_travel"]}, "Unknown milestone kind"),
        ({"start_to": date(2026, 1, 1)}, "after"),
        ({"previous_from": date(2026, 3, 1)}, "previous_from is after start_from"),
        ({"segment_kinds": ["roi"]}, "segment_kinds must be among kinds"),
        ({"now": datetime(2026, 1, 1)}, "timezone-aware"),  # noqa: DTZ001
    ],
)
def test_bad_period_arguments_are_refused_before_any_query(db: None, arguments: dict, message: str) -> None:
    defaults = {"kinds": ["first_value"], "start_from": date(2026, 2, 1), "start_to": date(2026, 6, 30),
                "previous_from": date(2025, 10, 1)}  # fmt: skip
    with assert_queries(0), pytest.raises(ValueError, match=message):
        measurement.ttv_periods(**{**defaults, **arguments})


def test_the_at_risk_report_reads_the_milestones_once(measured: Measured) -> None:
    from journeys.reports.risk import accounts_at_risk

    with assert_queries(5) as captured:  # milestones, curves' rows, segments, open journeys, their predictions
        at_risk = accounts_at_risk(kind=MilestoneKind.FIRST_VALUE)
    assert sum('FROM "journeys_milestone"' in sql for sql in statements(captured)) == 1
    assert {item.row.account_slug for item in at_risk} == {"bravo", "echo", "golf", "india"}  # all long overdue


def test_likely_late_comes_from_the_forecast_where_it_has_predicted_the_journey(measured: Measured) -> None:
    from django.utils import timezone

    from journeys.reports.models import TtvForecast, TtvPrediction
    from journeys.reports.risk import accounts_at_risk

    now = timezone.now()
    for journey in Journey.objects.filter(account__slug__in=["bravo", "echo"]):
        journey.started_at = now - timedelta(days=2)  # within its target: late only if expected after it
        journey.save(update_fields=["started_at"])
    before = {item.row.account_slug: item for item in accounts_at_risk(kind=MilestoneKind.FIRST_VALUE)}
    assert before["bravo"].status == "likely_late" and before["bravo"].expected_from == "curve"

    forecast = TtvForecast.objects.create(kind=MilestoneKind.FIRST_VALUE, fitted_at=now, ships=True, reason="better")
    bravo = Journey.objects.get(account__slug="bravo")
    echo = Journey.objects.get(account__slug="echo")
    # The forecast expects bravo on day 10, within its target; echo on day 90, far past it.
    TtvPrediction.objects.create(
        forecast=forecast,
        journey=bravo,
        account=bravo.account,
        waited_days=2.0,
        median_at=bravo.started_at + timedelta(days=10),
        within_target=0.8,
    )
    TtvPrediction.objects.create(forecast=forecast, journey=echo, account=echo.account, waited_days=2.0,
                                 median_at=echo.started_at + timedelta(days=90), within_target=0.1)  # fmt: skip
    after = {item.row.account_slug: item for item in accounts_at_risk(kind=MilestoneKind.FIRST_VALUE)}
    assert "bravo" not in after
    assert after["echo"].status == "likely_late" and after["echo"].expected_from == "forecast"
    assert after["echo"].expected_days == pytest.approx(90.0)
    # The others stay as the curve judged them.
    others = {slug: (item.status, item.expected_from) for slug, item in before.items() if slug not in ("bravo", "echo")}
    assert {slug: (item.status, item.expected_from) for slug, item in after.items() if slug != "echo"} == others


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.one_of(st.floats(0, 60, allow_nan=False), st.integers(0, 15).map(float)), st.booleans()),
        min_size=1,
        max_size=300,
    )
)
def test_the_median_interval_reads_the_bands_where_numpy_s_search_would(journeys: list) -> None:
    """The interval's bounds come from the bands computed only at the binary search's probes: they
    equal numpy's searchsorted over the whole bands computed at once, and lifelines' interval."""
    from portal import survival as engine

    d = np.sort(np.array([duration for duration, _hit in journeys]), kind="stable")
    e = np.array([hit for _duration, hit in sorted(journeys, key=lambda journey: journey[0])])
    first = np.flatnonzero(np.concatenate(([True], d[1:] != d[:-1])))
    removed = np.diff(np.append(first, len(d)))
    deaths = np.add.reduceat(e.astype(np.int64), first)
    at_risk = len(d) - np.concatenate(([0], np.cumsum(removed)[:-1]))
    survivors = at_risk - deaths
    # The timeline, S and the Greenwood sums as kaplan_meier builds them (0 first, where S is 1).
    timeline = np.concatenate(([0.0], d[first]))
    share = np.concatenate(([1.0], np.cumprod(np.where(deaths > 0, survivors / at_risk, 1.0))))
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.where((deaths > 0) & (survivors > 0), deaths / (at_risk * np.maximum(survivors, 1)), 0.0)
    greenwood = np.concatenate(([0.0], np.cumsum(steps)))
    bounds = []
    for which, band in enumerate(engine._bands(share, greenwood)):
        whole = None if band[-1] > 0.5 else float(timeline[np.searchsorted(-band, -0.5, side="left")])
        assert engine._median_bound(timeline, share, greenwood, which) == whole
        bounds.append(whole)
    if d[0] > 0:  # else kaplan_meier's timeline has no separate 0
        assert kaplan_meier(d.tolist(), e.tolist()).median_ci == tuple(bounds)
