"""Reads for journey pages. Each selector loads what its page shows in a fixed number of queries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from faq.models import Article, ArticleStep
from journeys.onboarding.models import (
    Achievement,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    Step,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from portal.aggregates import JoinedIds, split_ids
from portal.models import Account, Membership, User


def account_journey(*, account: Account) -> Journey | None:
    """The account's current journey (the latest started, if it has several)."""
    return (
        Journey.objects.filter(account=account)
        .select_related("playbook", "account__segment")
        .order_by("-started_at", "-id")
        .first()
    )


@dataclass
class MilestoneView:
    milestone: Milestone
    target_at: datetime | None
    achievement: Achievement | None
    rule_text: str
    feedback_given: bool = False

    @property
    def status(self) -> str:
        if self.achievement is not None:
            return "reached"
        if self.target_at is not None and self.target_at < timezone.now():
            return "overdue"
        return "due"

    @property
    def days_to_reach(self) -> float | None:
        if self.achievement is None:
            return None
        return (self.achievement.achieved_at - self.achievement.journey.started_at).total_seconds() / 86400

    @property
    def whole_days_to_reach(self) -> int | None:
        """Days to reach it, rounded: what the checklist says (and counts the plural by)."""
        days = self.days_to_reach
        return None if days is None else round(days)


@dataclass
class ChecklistItem:
    kind: str  # "step" or "milestone"
    state: StepState | None = None
    milestone: MilestoneView | None = None


@dataclass
class Checklist:
    journey: Journey
    states: list[StepState]
    milestones: list[MilestoneView]
    items: list[ChecklistItem]
    members: list[Membership] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def closed(self) -> int:
        return sum(1 for s in self.states if s.is_closed)

    @property
    def percent(self) -> int:
        return round(100 * self.closed / self.total) if self.total else 0

    @property
    def current_step(self) -> StepState | None:
        return next((s for s in self.states if not s.is_closed), None)

    @property
    def overdue(self) -> list[StepState]:
        now = timezone.now()
        return [s for s in self.states if not s.is_closed and s.due_at < now]


def describe_rule(milestone: Milestone, steps_by_pk: dict[int, Step], *, for_staff: bool = True) -> str:
    """The rule in words, for hover texts (English source, translated where shown).

    Staff read the rule as it is set (event names, property filters); customers read it in plain
    words: the names are the product's internals, not theirs. Where the playbook says what the
    milestone means for the customer, customers read that instead."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    if not for_staff and milestone.display_description:
        return milestone.display_description
    if milestone.rule == Milestone.Rule.ROI:
        return _("Recorded value reaches the investment.")
    if milestone.rule == Milestone.Rule.EVENT:
        values = {
            "count": milestone.event_min_count,
            "name": milestone.event_name,
            "days": milestone.event_min_days,
            "window": milestone.event_window_days,
        }
        if not for_staff:
            if milestone.event_min_days and milestone.event_window_days:
                text = ngettext(
                    "Counted from how your team uses the product: on %(days)s day within %(window)s days.",
                    "Counted from how your team uses the product: on %(days)s different days within %(window)s days.",
                    milestone.event_min_days,
                )
            elif milestone.event_min_days:
                text = ngettext(
                    "Counted from how your team uses the product: on %(days)s day.",
                    "Counted from how your team uses the product: on %(days)s different days.",
                    milestone.event_min_days,
                )
            else:
                text = _("Counted from how your team uses the product.")
            return text % values
        if milestone.event_min_days and milestone.event_window_days:
            text = _("At least %(count)s “%(name)s” events, on %(days)s different days within %(window)s days.")
        elif milestone.event_min_days:
            text = _("At least %(count)s “%(name)s” events, on %(days)s different days.")
        else:
            text = ngettext(
                "At least %(count)s “%(name)s” event.",
                "At least %(count)s “%(name)s” events.",
                milestone.event_min_count,
            )
        text %= values
        if milestone.event_properties:
            conditions = ", ".join(f"{k}={v}" for k, v in milestone.event_properties.items())
            text += " " + _("Only events with %(conditions)s.") % {"conditions": conditions}
        return text
    needed = set(milestone_step_ids(milestone))
    chosen = [step.display_title for pk, step in steps_by_pk.items() if pk in needed]
    if chosen:
        return _("Done: %(steps)s.") % {"steps": ", ".join(chosen)}
    return _("Every required step done.")


def journey_checklist(*, journey: Journey, viewer: User | None = None) -> Checklist:
    """Steps in order with milestones placed where their target falls: four queries, whatever the size
    (the steps a milestone needs come with it as ids)."""
    states = list(
        StepState.objects.filter(journey=journey, step__playbook_id=journey.playbook_id)
        .select_related("step", "assignee")
        .order_by("step__position", "step__id")
    )
    milestones = list(
        with_step_ids(Milestone.objects.filter(playbook_id=journey.playbook_id)).order_by("position", "id")
    )
    reached = Achievement.objects.filter(journey=journey).select_related("journey")
    if viewer is not None and viewer.is_authenticated:
        # Whether the viewer rated each one, in the same query.
        reached = reached.annotate(
            feedback_given=Exists(MilestoneFeedback.objects.filter(achievement=OuterRef("pk"), user=viewer))
        )
    achievements = {a.milestone_key: a for a in reached}
    given = {a.pk for a in achievements.values() if getattr(a, "feedback_given", False)}
    segment = journey.account.segment
    steps_by_pk = {s.step.pk: s.step for s in states}
    for_staff = viewer is None or viewer.is_admin or viewer.is_csm
    views = []
    for milestone in milestones:
        target = milestone.target_for(segment)
        achievement = achievements.get(milestone.key)
        views.append(
            MilestoneView(
                milestone=milestone,
                target_at=journey.started_at + timedelta(days=target) if target is not None else None,
                achievement=achievement,
                rule_text=describe_rule(milestone, steps_by_pk, for_staff=for_staff),
                feedback_given=achievement is not None and achievement.pk in given,
            )
        )
    return Checklist(journey=journey, states=states, milestones=views, items=_interleave(states, views))


def with_step_ids(milestones: QuerySet[Milestone]) -> QuerySet[Milestone]:
    """``milestones`` with the ids of the steps each names, in the same query (``milestone_step_ids``)."""
    per_milestone = (
        Milestone.steps.through.objects.filter(milestone_id=OuterRef("pk")).order_by().values("milestone_id")
    )
    # django-stubs cannot follow a name given by annotate() into values().
    ids = Subquery(per_milestone.annotate(ids=JoinedIds("step_id")).values("ids"))  # type: ignore[misc]
    return milestones.annotate(joined_step_ids=ids)


def milestone_step_ids(milestone: Milestone) -> list[int]:
    """The steps a steps-rule milestone names: from the ids ``with_step_ids`` brought, else asked."""
    if hasattr(milestone, "joined_step_ids"):
        return split_ids(milestone.joined_step_ids)
    return [step.pk for step in milestone.steps.all()]


def _interleave(states: list[StepState], milestones: list[MilestoneView]) -> list[ChecklistItem]:
    """A steps-rule milestone goes right after the last step it needs; others after the last step due
    before their target (those without a target go last)."""
    items = [ChecklistItem(kind="step", state=s) for s in states]
    index_of = {s.step_id: i for i, s in enumerate(states)}
    placed: list[tuple[int, int, ChecklistItem]] = []
    for order, view in enumerate(milestones):
        milestone = view.milestone
        if milestone.rule == Milestone.Rule.STEPS:
            needed = [index_of[pk] for pk in milestone_step_ids(milestone) if pk in index_of] or [
                i for i, s in enumerate(states) if s.step.required
            ]
            index = max(needed) + 1 if needed else len(states)
        elif view.target_at is not None:
            index = len([s for s in states if s.due_at <= view.target_at])
        else:
            index = len(states)
        placed.append((index, order, ChecklistItem(kind="milestone", milestone=view)))
    for index, _order, item in sorted(placed, key=lambda p: (p[0], p[1]), reverse=True):
        items.insert(index, item)
    return items


def account_members_for_assignment(*, account: Account) -> list[Membership]:
    return list(Membership.objects.filter(account=account).select_related("user").order_by("user__name", "user__email"))


@dataclass(frozen=True)
class ValueSummary:
    records: list[ValueRecord]
    total: Decimal
    investment: Decimal

    @property
    def percent(self) -> int:
        if not self.investment:
            return 0
        return min(100, round(100 * self.total / self.investment))


def account_value(*, account: Account) -> ValueSummary:
    records = list(
        ValueRecord.objects.filter(account=account).select_related("recorded_by").order_by("-occurred_on", "-id")
    )
    total = sum((r.amount for r in records), Decimal(0))
    return ValueSummary(records=records, total=total, investment=account.investment_amount or Decimal(0))


def value_record_history(*, record: ValueRecord) -> list[ValueRecordChange]:
    """The corrections of a value record, oldest first, with who made them."""
    return list(record.history.select_related("actor").order_by("occurred_at", "id"))


def startable_playbooks(*, account: Account) -> QuerySet[Playbook]:
    """Published playbooks this account does not run yet (its segment's first)."""
    running = Journey.objects.filter(account=account).values("playbook_key")
    return Playbook.objects.filter(status=Playbook.Status.PUBLISHED).exclude(key__in=running).order_by("name")


def playbook_event_filters(*, playbook_id: int) -> list[tuple[str, dict[str, Any]]]:
    """The (event name, property filter) pairs the rules of a playbook version count events under."""
    criteria: set[tuple[str, str]] = set()
    for model in (Step, Milestone):
        rows = (
            model.objects.filter(playbook_id=playbook_id)
            .exclude(event_properties={})
            .values_list("event_name", "event_properties")
        )
        for name, wanted in rows:
            if name and isinstance(wanted, dict) and wanted:
                criteria.add((name, json.dumps(wanted, sort_keys=True)))
    return [(name, json.loads(wanted)) for name, wanted in sorted(criteria)]


@dataclass(frozen=True)
class StepRef:
    playbook_key: str
    step_key: str
    title: str


def step_titles(*, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The titles of the steps of these (playbook key, step key) pairs in the reader's language, as
    the newest playbook version has them, in one query however many; pairs that name no step are
    left out."""
    query = Q()
    for playbook_key, step_key in set(keys):
        query |= Q(playbook__key=playbook_key, key=step_key)
    if not query:
        return {}
    titles: dict[tuple[str, str], str] = {}
    for step in Step.objects.filter(query).select_related("playbook").order_by("-playbook__version"):
        titles.setdefault((step.playbook.key, step.key), step.display_title)
    return titles


def article_steps_named(*, article: Article) -> list[StepRef]:
    """The onboarding steps ``article`` helps with, named as in the newest version of their playbook,
    in one query: a step shared by several playbooks once."""
    linked = ArticleStep.objects.filter(
        article=article, playbook_key=OuterRef("playbook__key"), step_key=OuterRef("key")
    )
    steps = (
        Step.objects.filter(Exists(linked))
        .select_related("playbook")
        .order_by("playbook__key", "-playbook__version", "position", "pk")
    )
    newest: dict[tuple[str, str], Step] = {}
    for step in steps:
        newest.setdefault((step.playbook.key, step.key), step)
    refs: dict[str, StepRef] = {}
    for (playbook_key, step_key), step in newest.items():
        title = step.display_title
        refs.setdefault(title, StepRef(playbook_key=playbook_key, step_key=step_key, title=title))
    return list(refs.values())


def step_choices() -> list[tuple[str, str | list[tuple[str, str]]]]:
    """Every step key of every playbook, grouped by playbook and named as in its newest version: the
    choices for linking an article to the steps it helps with."""
    groups: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    steps = Step.objects.select_related("playbook").order_by("playbook__key", "-playbook__version", "position")
    for step in steps:
        pair = (step.playbook.key, step.key)
        if pair in seen:
            continue
        seen.add(pair)
        names.setdefault(step.playbook.key, step.playbook.display_name)
        groups.setdefault(step.playbook.key, []).append((f"{pair[0]}/{pair[1]}", f"{step.display_title} ({step.key})"))
    choices: list[tuple[str, str | list[tuple[str, str]]]] = [("", "—")]
    return choices + [(names[key], group) for key, group in groups.items()]


def playbooks_of_steps() -> dict[str, set[str]]:
    """For each step key, the keys of the playbooks that have a step with it."""
    found: dict[str, set[str]] = {}
    for playbook_key, step_key in Step.objects.values_list("playbook__key", "key").distinct():
        found.setdefault(step_key, set()).add(playbook_key)
    return found


# --- For the API ----------------------------------------------------------------------------------


def journeys_of_account(*, account: Account) -> QuerySet[Journey]:
    """The account's journeys with their version, the states of the steps of that version (in
    checklist order) and their achievements as they stand: three queries for any number of them."""
    states = (
        StepState.objects.filter(step__playbook_id=F("journey__playbook_id"))
        .select_related(None)
        .order_by("step__position", "step_id")
    )
    return (
        Journey.objects.filter(account=account)
        .select_related("playbook", "account")
        .prefetch_related(
            Prefetch("step_states", queryset=states),
            Prefetch("achievements", queryset=Achievement.objects.order_by("achieved_at", "id")),
        )
    )


def value_records_of_account(*, account: Account) -> QuerySet[ValueRecord]:
    """The account's value records as they stand, each with its history (and who made each change)."""
    return value_records_with_history(ValueRecord.objects.filter(account=account))


def value_records_with_history(records: QuerySet[ValueRecord]) -> QuerySet[ValueRecord]:
    history = ValueRecordChange.objects.select_related("actor").order_by("occurred_at", "id")
    return records.select_related("account").prefetch_related(Prefetch("history", queryset=history))
