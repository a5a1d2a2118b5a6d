"""The webhook events of journeys, as receivers get them: ids and keys (stable across playbook
versions), times in ISO 8601 UTC, names in both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from journeys.onboarding.models import Achievement, Journey, Milestone, StepState
from portal.models import Account, WebhookEvent
from portal.webhooks import Event


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _account(account: Account) -> dict[str, Any]:
    return {"id": account.pk, "slug": account.slug, "name": account.name}


def journey_started(journey: Journey) -> Event:
    return Event(
        WebhookEvent.JOURNEY_STARTED,
        {
            "account": _account(journey.account),
            "journey": {
                "id": journey.pk,
                "playbook_key": journey.playbook_key,
                "started_at": _time(journey.started_at),
            },
        },
    )


def step_completed(state: StepState, *, journey: Journey) -> Event:
    """A step done (``state`` with its step at hand) of ``journey`` (with its account)."""
    return Event(
        WebhookEvent.STEP_COMPLETED,
        {
            "account": _account(journey.account),
            "journey": {"id": journey.pk, "playbook_key": journey.playbook_key},
            "step": {
                "key": state.step_key,
                "title": state.step.title,
                "title_en": state.step.title_en,
                "owner": state.step.owner,
                "completed_at": _time(state.completed_at),
            },
        },
    )


def milestone_reached(achievement: Achievement, *, milestone: Milestone, journey: Journey) -> Event:
    """A milestone reached (or reached again after a revocation) on ``journey`` (with its account)."""
    return Event(
        WebhookEvent.MILESTONE_REACHED,
        {
            "account": _account(journey.account),
            "journey": {"id": journey.pk, "playbook_key": journey.playbook_key},
            "milestone": {
                "key": achievement.milestone_key,
                "name": milestone.name,
                "name_en": milestone.name_en,
                "kind": achievement.kind,
                "achieved_at": _time(achievement.achieved_at),
                "source": achievement.source,
            },
            "ttv_days": round((achievement.achieved_at - journey.started_at).total_seconds() / 86400, 2),
        },
    )
