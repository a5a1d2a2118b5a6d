"""Every model of the app, for Django's registry: each is defined in the sub-package of its concept
(``journeys.<concept>.models``), and code imports it from there, never from here."""

from journeys.automation.models import AccountRisk, AutomationSettings, EmailRecord, FailedTask, Notification, Nudge
from journeys.events.models import DailyEventCount, EventCriterion, UsageEvent, UsageEventKey
from journeys.onboarding.models import (
    Achievement,
    AchievementChange,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    Source,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.reports.models import CalendarDay, ReportSnapshot, TtvForecast, TtvPrediction
from journeys.workspace.models import AccountNote, AccountNoteRevision, SuccessGoal

__all__ = [
    "AccountNote",
    "AccountNoteRevision",
    "AccountRisk",
    "Achievement",
    "AchievementChange",
    "AutomationSettings",
    "CalendarDay",
    "DailyEventCount",
    "EmailRecord",
    "EventCriterion",
    "FailedTask",
    "Journey",
    "Milestone",
    "MilestoneFeedback",
    "Notification",
    "Nudge",
    "Playbook",
    "ReportSnapshot",
    "Source",
    "Step",
    "StepEvent",
    "StepState",
    "SuccessGoal",
    "TtvForecast",
    "TtvPrediction",
    "UsageEvent",
    "UsageEventKey",
    "ValueRecord",
    "ValueRecordChange",
]
