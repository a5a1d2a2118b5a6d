"""Admin for automation: the nudge settings (one row), the e-mails sent, and tasks that failed for good."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from journeys.automation.models import AccountRisk, AutomationSettings, FailedTask, Notification, Nudge
from portal.admin_tools import ReadOnlyAdmin


@admin.register(AutomationSettings)
class AutomationSettingsAdmin(admin.ModelAdmin):
    """One row (created by a migration, or when first needed)."""

    fieldsets = [
        (_("Overdue-step nudges"), {"fields": ["nudge_delay_hours", "nudge_repeat_days", "nudge_max"]}),
        (_("Accounts"), {"fields": ["stuck_after_days"]}),
    ]

    list_display = ["__str__", "nudge_delay_hours", "nudge_repeat_days", "nudge_max", "stuck_after_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class EmailRecordAdmin(ReadOnlyAdmin):
    """Written only by the tasks that send them."""

    list_filter = [("sent_at", admin.EmptyFieldListFilter), "cancel_reason", "created_at"]
    search_fields = ["recipient__email", "account__name", "account__slug", "subject"]
    date_hierarchy = "created_at"


@admin.register(Nudge)
class NudgeAdmin(EmailRecordAdmin):
    list_display = ["created_at", "account", "step_title", "occurrence", "recipient", "sent_at", "cancel_reason"]
    list_select_related = ["account", "recipient", "step_state__step"]

    @admin.display(description=_("step"), ordering="step_state__step__title")
    def step_title(self, nudge: Nudge) -> str:
        return nudge.step_state.step.display_title


@admin.register(Notification)
class NotificationAdmin(EmailRecordAdmin):
    list_display = ["created_at", "kind", "account", "recipient", "period", "subject", "sent_at", "cancel_reason"]
    list_filter = ["kind", *EmailRecordAdmin.list_filter]
    list_select_related = ["account", "recipient"]


@admin.register(FailedTask)
class FailedTaskAdmin(admin.ModelAdmin):
    """Tasks whose retries ran out. Deleting a row only clears it from this list."""

    list_display = ["failed_at", "task_name", "exception_line", "args"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "exception"]
    date_hierarchy = "failed_at"
    readonly_fields = ["task_name", "task_id", "args", "kwargs", "exception", "traceback", "failed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("error"))
    def exception_line(self, failed: FailedTask) -> str:
        return failed.exception.splitlines()[0][:200] if failed.exception else ""


@admin.register(AccountRisk)
class AccountRiskAdmin(admin.ModelAdmin):
    list_display = ["account", "risk", "since", "reason", "evaluated_at"]
    list_filter = ["risk", "account__segment"]
    search_fields = ["account__name", "account__slug", "reason"]
    list_select_related = ["account"]
    date_hierarchy = "since"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # kept by the nightly evaluation

    def has_change_permission(self, request: HttpRequest, obj: AccountRisk | None = None) -> bool:
        return False
