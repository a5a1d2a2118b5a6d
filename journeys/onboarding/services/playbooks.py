"""Playbook versions: a published version is never edited; changes go into a new
draft version, which is then published. Journeys keep their version until moved."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from journeys import queue
from journeys.onboarding.models import Journey, Milestone, Playbook, Source, Step, StepEvent, StepState
from journeys.onboarding.services.evaluation import journey_evaluate
from journeys.onboarding.services.history import step_history_note
from portal.models import User

STEP_FIELDS = [
    "key",
    "position",
    "title",
    "title_en",
    "guidance",
    "guidance_en",
    "owner",
    "due_offset_days",
    "required",
    "event_name",
    "event_min_count",
    "event_min_days",
    "event_window_days",
    "event_properties",
]
MILESTONE_FIELDS = [
    "key",
    "position",
    "name",
    "name_en",
    "description",
    "description_en",
    "kind",
    "target_days",
    "rule",
    "event_name",
    "event_min_count",
    "event_min_days",
    "event_window_days",
    "event_properties",
]


@transaction.atomic
def playbook_new_version(*, playbook: Playbook, by: User | None) -> Playbook:
    """A draft copy of ``playbook`` (steps, milestones, rules, segments) as the next version."""
    existing_draft = Playbook.objects.filter(key=playbook.key, status=Playbook.Status.DRAFT).first()
    if existing_draft is not None:
        return existing_draft
    latest = Playbook.objects.filter(key=playbook.key).aggregate(v=Max("version"))["v"] or 0
    draft = Playbook.objects.create(
        key=playbook.key,
        version=latest + 1,
        name=playbook.name,
        name_en=playbook.name_en,
        description=playbook.description,
        description_en=playbook.description_en,
        status=Playbook.Status.DRAFT,
        created_by=by,
    )
    draft.segments.set(playbook.segments.all())
    steps_by_key = {}
    for step in playbook.steps.all():
        steps_by_key[step.key] = Step.objects.create(
            playbook=draft, **{name: getattr(step, name) for name in STEP_FIELDS}
        )
    for milestone in playbook.milestones.prefetch_related("steps"):
        copy = Milestone.objects.create(playbook=draft, **{name: getattr(milestone, name) for name in MILESTONE_FIELDS})
        copy.steps.set([steps_by_key[s.key] for s in milestone.steps.all() if s.key in steps_by_key])
    return draft


@transaction.atomic
def playbook_publish(*, playbook: Playbook, by: User | None) -> Playbook:
    """Publish a draft; the version published before it is retired (its journeys keep running on it)."""
    if playbook.status != Playbook.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    if not playbook.steps.exists():
        raise ValidationError(_("A playbook needs at least one step before it is published."))
    Playbook.objects.filter(key=playbook.key, status=Playbook.Status.PUBLISHED).update(status=Playbook.Status.RETIRED)
    playbook.status = Playbook.Status.PUBLISHED
    playbook.published_at = timezone.now()
    playbook.save(update_fields=["status", "published_at"])
    # Its rules may count events under property filters nothing counted before.
    queue.backfill_counts(playbook.pk)
    return playbook


@transaction.atomic
def journey_migrate(*, journey: Journey, to: Playbook, by: User | None) -> Journey:
    """Move a journey to another version of its playbook without losing completed work.

    Step states and achievements are matched by key: a step done in the old
    version stays done, with its history. Steps new in ``to`` start as to do;
    states of steps the new version dropped stay in the history, out of the checklist.
    """
    if to.key != journey.playbook_key:
        raise ValidationError(_("A journey can only move to another version of its own playbook."))
    if to.status != Playbook.Status.PUBLISHED:
        raise ValidationError(_("Journeys can only move to a published version."))
    if to.pk == journey.playbook_id:
        return journey
    now = timezone.now()
    states = {s.step_key: s for s in StepState.objects.select_for_update().filter(journey=journey)}
    for step in to.steps.all():
        state = states.get(step.key)
        if state is None:
            state = StepState.objects.create(
                journey=journey,
                step=step,
                step_key=step.key,
                due_at=journey.started_at + timedelta(days=step.due_offset_days),
                changed_at=now,
                changed_by=by,
            )
            change, params = StepEvent.Change.ADDED, {}
        else:
            state.step = step
            state.save(update_fields=["step"])
            change, params = StepEvent.Change.MOVED, {"version": to.version}
        step_history_note(
            state=state, occurred_at=now, by=by, change=change, change_params=params, source=Source.MIGRATION
        )
    journey.playbook = to
    journey.save(update_fields=["playbook"])
    journey_evaluate(journey=journey)
    return journey
