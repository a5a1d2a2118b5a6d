"""Evaluation of a journey: complete the steps whose event rule is met and record every milestone
satisfied, each at the earliest moment its rule held given everything received so far (a step, an
event, a value record), whatever order the data arrived in.

Data arrives late (a retry, a backfill, a client's offline queue): a late event or a backdated value
record moves an achievement, or an event-completed step, earlier, and the history keeps the old
time; no notice goes out again. A correction (a step reopened, a value record corrected or deleted)
revokes a milestone whose rule no longer holds; reaching it again restores it at the new time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from journeys import queue
from journeys.events import rules
from journeys.events.services.marks import usage_behind, usage_evaluated, usage_marks
from journeys.onboarding.models import (
    Achievement,
    AchievementChange,
    Journey,
    Milestone,
    Source,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
)
from journeys.onboarding.services import webhooks as outgoing
from journeys.onboarding.services.history import (
    achievement_history_append,
    achievement_history_entry,
    step_completion_retime,
    step_status_record,
)
from portal import webhooks
from portal.models import Account, User

Status = StepState.Status
Change = AchievementChange.Kind
# Achievements the evaluation made (and so may re-time or revoke); others were recorded by a person or an import.
DERIVED = (Source.RULE, Source.EVENT)


@dataclass(frozen=True)
class Correction:
    """Who corrected what the milestones of one ``rule`` rest on (reopened a step, corrected or
    deleted a value record), and why: such a milestone whose rule no longer holds is revoked in their
    name, and an ROI milestone may move later as well as earlier."""

    rule: str
    by: User | None
    reason: str = ""
    source: str = Source.MANUAL


@dataclass
class Evaluation:
    completed_steps: list[StepState] = field(default_factory=list)
    retimed_steps: list[StepState] = field(default_factory=list)
    achievements: list[Achievement] = field(default_factory=list)  # reached, or reached again
    retimed: list[Achievement] = field(default_factory=list)
    revoked: list[Achievement] = field(default_factory=list)


def _steps_rule_time(milestone: Milestone, states_by_key: dict[str, StepState], steps: list[Step]) -> datetime | None:
    wanted = [s.key for s in milestone.steps.all()] or [s.key for s in steps if s.required]
    if not wanted:
        return None
    closed = [states_by_key.get(key) for key in wanted]
    if any(state is None or not state.is_closed for state in closed):
        return None
    # A closed step always has its completion time (a constraint of StepState).
    return max(state.completed_at for state in closed if state is not None and state.completed_at is not None)


def _roi_time(account: Account, records: list[ValueRecord]) -> datetime | None:
    investment = account.investment_amount or Decimal(0)
    if investment <= 0:
        return None
    total = Decimal(0)
    for record in sorted(records, key=lambda r: (r.occurred_on, r.pk)):
        total += record.amount
        if total >= investment:
            return rules.day_bounds(record.occurred_on)[0]
    return None


def _may_move(criterion: Step | Milestone, recorded_at: datetime | None, since: Mapping[str, datetime] | None) -> bool:
    """Whether new events can change when ``criterion`` was satisfied: it is not yet, or an event of
    its name arrived from before the time it was recorded at (``since``: the earliest new event per
    name; None: any event may have changed)."""
    if not criterion.has_event_rule:
        return False
    if since is None:
        return True
    earliest = since.get(criterion.event_name)
    return earliest is not None and (recorded_at is None or earliest < recorded_at)


def _event_completed(state_ids: list[int]) -> set[int]:
    """Of these done step states, those whose last completion was by usage events: one query."""
    last: dict[int, str] = {}
    completions = (
        StepEvent.objects.filter(step_state_id__in=state_ids, to_status=Status.DONE)
        .exclude(from_status=Status.DONE)
        .order_by("id")
        .values_list("step_state_id", "source")
    )
    for state_id, source in completions:
        last[state_id] = source
    return {state_id for state_id, source in last.items() if source == Source.EVENT}


@transaction.atomic
def journey_evaluate(
    *,
    journey: Journey,
    include_events: bool = True,
    events_since: Mapping[str, datetime] | None = None,
    correction: Correction | None = None,
) -> Evaluation:
    """Complete event-driven steps and bring every milestone to the earliest time its rule held.

    ``events_since`` (the earliest new event per name) limits the work to what those events can
    change: steps and milestones with those event names, not yet satisfied or recorded later than the
    new events; value is not looked at. ``correction`` says who undid what a rule rested on. Safe to
    run any number of times: an achievement is one row, re-timed in place, its notices sent once.
    """
    result = Evaluation()
    # One evaluation of a journey at a time: concurrent ones would complete the same step twice.
    completed_at = Journey.objects.select_for_update().filter(pk=journey.pk).values_list("completed_at").first()
    playbook = journey.playbook
    steps = list(playbook.steps.order_by("position", "id"))
    milestones = list(playbook.milestones.prefetch_related(Prefetch("steps", queryset=Step.objects.only("key"))))
    # States of steps a newer version dropped stay in the history but no longer count.
    states = {
        s.step_key: s
        for s in StepState.objects.filter(journey=journey, step__playbook_id=journey.playbook_id).select_related("step")
    }
    achievements = {a.milestone_key: a for a in Achievement.with_revoked.filter(journey=journey)}
    account = journey.account
    started = journey.started_at

    def current(milestone: Milestone) -> datetime | None:
        achievement = achievements.get(milestone.key)
        return achievement.achieved_at if achievement is not None and achievement.revoked_at is None else None

    event_steps: list[Step] = []
    event_milestones: list[Milestone] = []
    if include_events:
        for step in steps:
            state = states.get(step.key)
            if state is None or state.status == Status.SKIPPED:
                continue
            if _may_move(step, state.completed_at, events_since):
                event_steps.append(step)
        event_milestones = [
            m for m in milestones if m.rule == Milestone.Rule.EVENT and _may_move(m, current(m), events_since)
        ]
    if events_since is not None and not event_steps and not event_milestones:
        return result  # nothing these events can change

    counts: dict[tuple[str, str], list[rules.DayCount]] = {}
    if event_steps or event_milestones:
        counts = rules.daily_counts(
            account_id=account.pk,
            names={c.event_name for c in [*event_steps, *event_milestones]},
            since=rules.event_day(started),
        )
    done = [states[s.key].pk for s in event_steps if states[s.key].status == Status.DONE]
    by_events = _event_completed(done) if done else set()
    for step in event_steps:
        state = states[step.key]
        if state.status == Status.DONE and state.pk not in by_events:
            continue  # ticked by a person: their time stands
        moment = rules.criterion_satisfied_at(account_id=account.pk, criterion=step, counts=counts)
        if moment is None:
            continue
        moment = max(moment, started)
        if not state.is_closed:
            states[step.key] = step_status_record(
                state=state, status=Status.DONE, reason="", by=None, at=moment, source=Source.EVENT
            )
            result.completed_steps.append(states[step.key])
        elif state.completed_at is not None and moment < state.completed_at:
            result.retimed_steps.append(step_completion_retime(state=state, at=moment, source=Source.EVENT))

    records: list[ValueRecord] | None = None
    new: list[Achievement] = []
    history: list[AchievementChange] = []
    for milestone in milestones:
        source = Source.RULE
        if milestone.rule == Milestone.Rule.STEPS:
            moment = _steps_rule_time(milestone, states, steps)
        elif milestone.rule == Milestone.Rule.EVENT:
            if milestone not in event_milestones:
                continue
            moment = rules.criterion_satisfied_at(account_id=account.pk, criterion=milestone, counts=counts)
            source = Source.EVENT
        elif milestone.rule == Milestone.Rule.ROI:
            if events_since is not None:
                continue  # events do not move value
            if records is None:
                records = list(ValueRecord.objects.filter(account=account))
            moment = _roi_time(account, records)
        else:
            continue
        if moment is not None:
            moment = max(moment, started)
        achievement = achievements.get(milestone.key)
        corrected = correction if correction is not None and correction.rule == milestone.rule else None
        if achievement is None:
            if moment is not None:
                new.append(
                    Achievement(
                        journey=journey,
                        account=account,
                        milestone=milestone,
                        milestone_key=milestone.key,
                        kind=milestone.kind,
                        achieved_at=moment,
                        source=source,
                    )
                )
        elif achievement.revoked_at is not None:
            if moment is not None:
                history.append(_restore(achievement, at=moment, source=source, correction=corrected))
                result.achievements.append(achievement)
        elif achievement.source in DERIVED:
            entry = _change(achievement, milestone, moment, correction=corrected, source=source)
            if entry is not None:
                history.append(entry)
                (result.revoked if entry.kind == Change.REVOKED else result.retimed).append(achievement)
    for achievement in new:
        try:
            with transaction.atomic():
                achievement.save()
        except IntegrityError:
            continue  # recorded meanwhile by a concurrent evaluation: once is enough
        result.achievements.append(achievement)
        history.append(
            achievement_history_entry(
                achievement=achievement,
                kind=Change.REACHED,
                from_at=None,
                to_at=achievement.achieved_at,
                source=achievement.source,
            )
        )
    achievement_history_append(history)
    by_key = {m.key: m for m in milestones}
    webhooks.events_emit(
        [
            *(outgoing.step_completed(state, journey=journey) for state in result.completed_steps),
            *(
                outgoing.milestone_reached(a, milestone=by_key[a.milestone_key], journey=journey)
                for a in result.achievements
            ),
        ]
    )
    for achievement in result.achievements:
        # Claimed once per achievement and person: one reached again after a revocation is not told twice.
        queue.achievement_notify(achievement.pk)
    _journey_completion(journey, list(states.values()), recorded=completed_at[0] if completed_at else None)
    return result


def _restore(
    achievement: Achievement, *, at: datetime, source: str, correction: Correction | None
) -> AchievementChange:
    """A revoked achievement whose rule holds again: reached again, at the new time."""
    achievement.achieved_at = at
    achievement.revoked_at = None
    achievement.save(update_fields=["achieved_at", "revoked_at"])
    if correction is not None:
        source = correction.source
    return achievement_history_entry(
        achievement=achievement, kind=Change.REACHED_AGAIN, from_at=None, to_at=at, source=source,
        by=correction.by if correction else None, reason=correction.reason if correction else "",
    )  # fmt: skip


def _change(
    achievement: Achievement,
    milestone: Milestone,
    moment: datetime | None,
    *,
    correction: Correction | None,
    source: str,
) -> AchievementChange | None:
    """Bring a standing achievement to what its rule says now; the history entry, if anything changed.

    Without a correction of its rule data only ever adds (events, value), so an achievement only
    moves earlier. A correction may undo the rule: its milestone is revoked; or, for ROI (amounts and
    dates can be corrected both ways), move it later. Steps stay closed through a change between done
    and skipped, so a steps milestone keeps its earlier time then.
    """
    before = achievement.achieved_at
    if moment is None:
        if correction is None:
            return None
        achievement.revoked_at = timezone.now()
        achievement.save(update_fields=["revoked_at"])
        return achievement_history_entry(
            achievement=achievement, kind=Change.REVOKED, from_at=before, to_at=None, source=correction.source,
            by=correction.by, reason=correction.reason,
        )  # fmt: skip
    later_allowed = correction is not None and milestone.rule == Milestone.Rule.ROI
    if moment == before or (moment > before and not later_allowed):
        return None
    achievement.achieved_at = moment
    achievement.save(update_fields=["achieved_at"])
    if correction is None:
        return achievement_history_entry(
            achievement=achievement, kind=Change.LATE_DATA, from_at=before, to_at=moment, source=source
        )
    return achievement_history_entry(
        achievement=achievement, kind=Change.CORRECTED, from_at=before, to_at=moment, source=correction.source,
        by=correction.by, reason=correction.reason,
    )  # fmt: skip


def _journey_completion(journey: Journey, states: list[StepState], *, recorded: datetime | None) -> None:
    """A journey is complete when its last step closed; reopening a step reopens it. ``recorded``:
    its completion as the database has it."""
    completed = None
    if states and all(s.is_closed for s in states):
        completed = max(s.completed_at for s in states if s.completed_at is not None)
    journey.completed_at = completed
    if recorded != completed:
        Journey.objects.filter(pk=journey.pk).update(completed_at=completed)


def _may_change_with(names: set[str], earliest: datetime) -> Q:
    """Journeys whose steps or milestones events of ``names`` from ``earliest`` on could change: an
    event rule on one of those names not yet met, or met later than ``earliest``."""
    milestones = Milestone.objects.filter(
        playbook=OuterRef("playbook_id"), rule=Milestone.Rule.EVENT, event_name__in=names
    ).exclude(
        Exists(
            Achievement.objects.filter(
                journey=OuterRef(OuterRef("pk")), milestone_key=OuterRef("key"), achieved_at__lte=earliest
            )
        )
    )
    steps = (
        StepState.objects.filter(
            journey=OuterRef("pk"), step__playbook=OuterRef("playbook_id"), step__event_name__in=names
        )
        .exclude(status=Status.SKIPPED)
        .exclude(status=Status.DONE, completed_at__lte=earliest)
    )
    return Q(Exists(milestones)) | Q(Exists(steps))


def accounts_evaluate(
    *, account_ids: list[int], events_since: Mapping[int, Mapping[str, datetime]] | None = None
) -> int:
    """Evaluate the journeys of these accounts. ``events_since``: after usage events arrived, the
    earliest new event per account and name; only the journeys and rules those events can change are
    evaluated (found by one query). Returns achievements recorded."""
    recorded = 0
    journeys = Journey.objects.filter(account_id__in=account_ids).select_related("account", "playbook")
    if events_since is not None:
        names = {name for by_name in events_since.values() for name in by_name}
        if not names:
            return 0
        earliest = min(moment for by_name in events_since.values() for moment in by_name.values())
        journeys = journeys.filter(_may_change_with(names, earliest))
    for journey in journeys:
        since = None if events_since is None else events_since.get(journey.account_id, {})
        recorded += len(journey_evaluate(journey=journey, events_since=since).achievements)
    return recorded


def accounts_evaluate_received(
    *,
    account_ids: list[int],
    events_since: Mapping[int, Mapping[str, datetime]] | None = None,
    marks: Mapping[int, int] | None = None,
) -> int:
    """``accounts_evaluate``, then record in the accounts' usage marks what it covered: without
    ``events_since``, everything received before it began; after a batch of events, that batch
    (``marks``: its count per account). Returns achievements recorded."""
    if events_since is None:
        marks = usage_marks(account_ids=account_ids)  # before anything is read: what comes later is not covered
    recorded = accounts_evaluate(account_ids=account_ids, events_since=events_since)
    if marks:
        usage_evaluated(marks=marks, everything=events_since is None)
    return recorded


CATCH_UP_CHUNK = 50


@transaction.atomic
def accounts_catch_up(*, now: datetime | None = None) -> list[int]:
    """Queue a full evaluation of every account whose evaluation is behind what it received by more
    than a few minutes (its task lost or failed), a task per ``CATCH_UP_CHUNK`` accounts. Returns them."""
    account_ids = usage_behind(now=now)
    for start in range(0, len(account_ids), CATCH_UP_CHUNK):
        queue.evaluate_accounts(account_ids[start : start + CATCH_UP_CHUNK])
    return account_ids
