"""The Django admin for the support desk's settings: business calendars with their hours and closed
days, reply-time targets and inquiry categories; inquiries and their threads, read-only (the desk's
pages change them, through its services)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin_tools import ReadOnlyAdmin, ReadOnlyInline
from support.models import (
    BusinessCalendar,
    BusinessHours,
    Category,
    ClosedDay,
    Escalation,
    Inquiry,
    InquiryChange,
    Message,
    ReplyTarget,
)


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class ClosedDayInline(admin.TabularInline):
    model = ClosedDay
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "japanese_holidays"]
    search_fields = ["name"]
    inlines = [BusinessHoursInline, ClosedDayInline]


@admin.register(ReplyTarget)
class ReplyTargetAdmin(admin.ModelAdmin):
    list_display = ["__str__", "calendar", "fast_minutes", "first_reply_minutes", "next_reply_minutes"]
    list_filter = ["segment", "plan", "priority"]
    list_select_related = ["segment", "calendar"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ["created_at", "kind", "author", "automatic", "body"]
    readonly_fields = ["created_at", "kind", "author", "automatic", "body"]


class InquiryChangeInline(ReadOnlyInline):
    model = InquiryChange
    fields = ["occurred_at", "field", "old", "new", "actor"]
    readonly_fields = ["occurred_at", "field", "old", "new", "actor"]


@admin.register(Inquiry)
class InquiryAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "account", "status", "priority", "assignee", "created_at", "due_at", "first_reply_fast"]
    list_filter = ["status", "priority", "category", "first_reply_fast", "first_reply_in_target"]
    search_fields = ["subject", "account__name", "account__slug"]
    list_select_related = ["account", "assignee"]
    date_hierarchy = "created_at"
    inlines = [MessageInline, InquiryChangeInline]
    fieldsets = [
        (None, {"fields": ["account", "author", "subject", "body", "category", "priority", "status", "assignee"]}),
        (_("Onboarding step"), {"fields": ["playbook_key", "step_key"]}),
        (
            _("Reply clock"),
            {
                "fields": [
                    "clock",
                    "clock_running_since",
                    "fast_due_at",
                    "due_at",
                    "calendar",
                    "fast_minutes",
                    "first_reply_minutes",
                    "next_reply_minutes",
                ]
            },
        ),
        (
            _("First reply"),
            {
                "fields": [
                    "first_replied_at",
                    "first_reply_seconds",
                    "first_reply_business_seconds",
                    "first_reply_fast",
                    "first_reply_in_target",
                ]
            },
        ),
    ]


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["inquiry", "kind", "due_at", "recipient", "created_at", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["inquiry", "recipient"]
    date_hierarchy = "created_at"
