"""The one writer of history: every change to a step state (its status, assignee, due date, version,
a completion re-timed by late data) is appended here as a ``StepEvent``, and every change to an
achievement (reached, re-timed, revoked, reached again) as an ``AchievementChange``; neither is ever
rewritten. Callers hold the journey lock."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.utils import timezone

from journeys.onboarding.models import Achievement, AchievementChange, Source, StepEvent, StepState
from portal.models import User

Status = StepState.Status
NEEDS_REASON = (Status.SKIPPED, Status.BLOCKED)


def step_history_entry(
    *,
    state: StepState,
    to_status: str,
    from_status: str = "",
    occurred_at: datetime,
    by: User | None = None,
    source: str = Source.MANUAL,
    reason: str = "",
    note: str = "",
    change: str = "",
    change_params: dict[str, Any] | None = None,
) -> StepEvent:
    """One history entry of ``state``, not saved yet (for ``step_history_append``)."""
    return StepEvent(
        step_state=state,
        journey_id=state.journey_id,
        from_status=from_status,
        to_status=to_status,
        reason=reason[:500],
        note=note[:500],
        change=change,
        change_params=change_params or {},
        actor=by,
        source=source,
        occurred_at=occurred_at,
    )


def step_history_append(entries: Iterable[StepEvent]) -> list[StepEvent]:
    """Append entries made by ``step_history_entry`` in one statement."""
    return StepEvent.objects.bulk_create(list(entries))


def step_history_note(
    *,
    state: StepState,
    occurred_at: datetime,
    by: User | None,
    change: str,
    change_params: dict[str, Any] | None = None,
    reason: str = "",
    source: str = Source.MANUAL,
) -> StepEvent:
    """A change that leaves the status as it is (assignee, due date, version): appended with what it
    did (a ``StepEvent.Change`` and its details, put into words when shown)."""
    entry = step_history_entry(
        state=state, from_status=state.status, to_status=state.status, occurred_at=occurred_at, by=by,
        source=source, reason=reason, change=change, change_params=change_params,
    )  # fmt: skip
    entry.save()
    return entry


def step_status_record(
    *, state: StepState, status: str, reason: str, by: User | None, at: datetime, source: str, note: str = ""
) -> StepState:
    """Write the new status and append it to the step's history (with ``note``: words kept as written,
    such as the name of the system that reported the change)."""
    previous = state.status
    state.status = status
    state.reason = reason if status in NEEDS_REASON else ""
    state.completed_at = at if status in StepState.CLOSED else None
    state.changed_at = timezone.now()
    state.changed_by = by
    state.save(update_fields=["status", "reason", "completed_at", "changed_at", "changed_by"])
    step_history_entry(
        state=state, from_status=previous, to_status=status, reason=state.reason, by=by, source=source, occurred_at=at,
        note=note,
    ).save()  # fmt: skip
    return state


def step_completion_retime(*, state: StepState, at: datetime, source: str) -> StepState:
    """Move a done step's completion earlier, to ``at``: its rule held before the data that showed it
    arrived. The status stays; the history keeps both times."""
    before = state.completed_at
    assert before is not None  # a done step has its completion time (a constraint of StepState)
    state.completed_at = at
    state.changed_at = timezone.now()
    state.save(update_fields=["completed_at", "changed_at"])
    step_history_note(
        state=state, occurred_at=state.changed_at, by=None, change=StepEvent.Change.RETIMED,
        change_params={"old": before.isoformat(), "new": at.isoformat()}, source=source,
    )  # fmt: skip
    return state


def achievement_history_entry(
    *,
    achievement: Achievement,
    kind: str,
    from_at: datetime | None,
    to_at: datetime | None,
    source: str,
    by: User | None = None,
    reason: str = "",
) -> AchievementChange:
    """One history entry of ``achievement``, not saved yet (for ``achievement_history_append``)."""
    return AchievementChange(
        achievement=achievement, kind=kind, from_at=from_at, to_at=to_at, source=source, actor=by, reason=reason[:500]
    )


def achievement_history_append(entries: Iterable[AchievementChange]) -> list[AchievementChange]:
    """Append entries made by ``achievement_history_entry`` in one statement."""
    return AchievementChange.objects.bulk_create(list(entries))
