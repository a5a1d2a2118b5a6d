"""The Django admin for onboarding: playbooks, journeys, achievements, value records, feedback.

Playbooks are versioned: a draft is edited here, a published or retired version
is read-only and changes go through "Create a new draft version" and "Publish"
(the services in ``journeys.onboarding.services.playbooks``). Journeys, their history and
achievements (revoked ones too, each with its own history) are shown read-only; the only write on
them is moving journeys to the latest published version of their playbook.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from faq import admin as faq_admin
from faq.models import Article, ArticleStep
from journeys.onboarding.models import (
    Achievement,
    AchievementChange,
    Journey,
    Milestone,
    MilestoneFeedback,
    Playbook,
    Step,
    StepEvent,
    StepState,
    ValueRecord,
    ValueRecordChange,
)
from journeys.onboarding.selectors import step_choices
from journeys.onboarding.services.journeys import journey_start_default, value_record_correct, value_record_create
from journeys.onboarding.services.playbooks import journey_migrate, playbook_new_version, playbook_publish
from portal import admin as portal_admin
from portal.admin_tools import ReadOnlyAdmin, ReadOnlyInline, admin_user, count_of
from portal.models import Account

# Typed as the stubs type the "fields" of a fieldset.
EVENT_RULE_FIELDS: list[str | list[str] | tuple[str, ...] | tuple[()]] = [
    "event_name",
    ("event_min_count", "event_min_days", "event_window_days"),
    "event_properties",
]


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- Playbooks ------------------------------------------------------------------


class DraftOnlyInline(admin.StackedInline):
    """Steps and milestones of a draft are editable; those of a published or retired version are not."""

    extra = 0

    def _editable(self, obj: Playbook | None) -> bool:
        return obj is None or obj.is_editable

    def has_add_permission(self, request: HttpRequest, obj: Playbook | None = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Playbook | None = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Playbook | None = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class StepInline(DraftOnlyInline):
    model = Step
    ordering = ["position", "id"]
    fieldsets = [
        (None, {"fields": [("position", "key"), ("title", "title_en"), ("owner", "due_offset_days", "required")]}),
        (_("Guidance"), {"fields": ["guidance", "guidance_en"]}),
        (_("Completed by usage events"), {"classes": ["collapse"], "fields": EVENT_RULE_FIELDS}),
    ]
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 4})}}


class MilestoneInline(DraftOnlyInline):
    model = Milestone
    ordering = ["position", "id"]
    fieldsets = [
        (None, {"fields": [("position", "key"), ("name", "name_en"), ("kind", "rule", "target_days"), "steps"]}),
        (_("Meaning for the customer"), {"fields": ["description", "description_en"]}),
        (_("Usage-event rule"), {"classes": ["collapse"], "fields": EVENT_RULE_FIELDS}),
    ]
    filter_horizontal = ["steps"]

    def get_formset(self, request: HttpRequest, obj: Playbook | None = None, **kwargs: object):
        formset = super().get_formset(request, obj, **kwargs)
        # Only the steps of this version can make up its milestones (a new version has its own copies).
        steps_field = cast("forms.ModelMultipleChoiceField[Step] | None", formset.form.base_fields.get("steps"))
        if steps_field is not None:
            steps_field.queryset = (
                Step.objects.filter(playbook=obj).order_by("position", "id") if obj else Step.objects.none()
            )
            steps_field.help_text = _(
                "For the steps rule: these steps done. None chosen means every required step. "
                "Save new steps before choosing them here."
            )
        return formset


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "name_en", "key", "description", "description_en", "segments"]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if self.instance.pk is None and Playbook.objects.filter(key=key).exists():
            raise ValidationError(
                _(
                    "A playbook with this key already exists. To change it, use “Create a new draft version” "
                    "on the playbook list."
                ),
                code="key_taken",
            )
        return key


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin):
    form = PlaybookForm
    list_display = [
        "name",
        "key",
        "version",
        "status",
        "segment_names",
        "step_count",
        "journey_count",
        "published_at",
    ]
    list_display_links = ["name"]
    list_filter = ["status", "segments"]
    search_fields = ["name", "name_en", "key", "description"]
    list_select_related = ["created_by"]
    filter_horizontal = ["segments"]
    inlines = [StepInline, MilestoneInline]
    actions = ["create_draft_version", "publish"]
    fieldsets = [
        (None, {"fields": [("name", "name_en"), "key", ("description", "description_en"), "segments"]}),
        (_("Version"), {"fields": ["version", "status", "version_actions", "other_versions", "published_at"]}),
        (_("Record"), {"classes": ["collapse"], "fields": ["created_at", "created_by"]}),
    ]

    # -- rows and columns

    def get_queryset(self, request: HttpRequest) -> QuerySet[Playbook]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                step_count=count_of(Step, link="playbook"),
                journey_count=count_of(Journey, link="playbook"),
            )
            .prefetch_related("segments")
        )

    @admin.display(description=_("segments"))
    def segment_names(self, playbook: Playbook) -> str:
        return ", ".join(segment.name for segment in playbook.segments.all()) or "—"

    @admin.display(description=_("steps"), ordering="step_count")
    def step_count(self, playbook: Playbook) -> int:
        return playbook.step_count

    @admin.display(description=_("journeys"), ordering="journey_count")
    def journey_count(self, playbook: Playbook) -> int:
        return playbook.journey_count

    @admin.display(description=_("next step"))
    def version_actions(self, playbook: Playbook) -> str:
        if playbook.pk is None:
            return _("Save the draft, add steps and milestones, then publish it.")
        # The admin's change form is one <form>: these buttons post it to the version views below.
        if playbook.is_editable:
            return format_html(
                '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button> '
                '<span class="help">{}</span>',
                reverse("admin:journeys_playbook_publish", args=[playbook.pk]),
                _("Publish this version"),
                _("Save your changes first. Publishing retires the version published before it."),
            )
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button> '
            '<span class="help">{}</span>',
            reverse("admin:journeys_playbook_new_version", args=[playbook.pk]),
            _("Create a new draft version"),
            _("A published version is never edited: journeys on it keep their history."),
        )

    @admin.display(description=_("all versions"))
    def other_versions(self, playbook: Playbook) -> str:
        if playbook.pk is None:
            return "—"
        versions = Playbook.objects.filter(key=playbook.key).order_by("-version")
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">v{}</a> · {}</li>',
                (
                    (reverse("admin:journeys_playbook_change", args=[v.pk]), v.version, v.get_status_display())
                    for v in versions
                ),
            ),
        )

    # -- what may be changed

    def get_readonly_fields(self, request: HttpRequest, obj: Playbook | None = None) -> list[str]:
        fields = ["version", "status", "version_actions", "other_versions", "published_at", "created_at", "created_by"]
        if obj is not None:
            fields.insert(0, "key")  # the key ties the versions together
        return fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Playbook | None = None) -> dict:
        return {} if obj is not None else {"key": ["name"]}

    def has_change_permission(self, request: HttpRequest, obj: Playbook | None = None) -> bool:
        if obj is not None and not obj.is_editable:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Playbook | None = None) -> bool:
        if obj is not None and not obj.is_editable:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        # Bulk delete would reach published versions too; a draft is deleted from its own page.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Playbook, form: forms.ModelForm, change: bool) -> None:
        if not change:
            obj.status = Playbook.Status.DRAFT
            obj.created_by = admin_user(request)
        super().save_model(request, obj, form, change)

    # -- versioning: actions and the buttons of the change page

    def has_version_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    @admin.action(description=_("Create a new draft version"), permissions=["version"])
    def create_draft_version(self, request: HttpRequest, queryset: QuerySet[Playbook]) -> HttpResponse | None:
        drafts = [playbook_new_version(playbook=playbook, by=admin_user(request)) for playbook in queryset]
        if len(drafts) == 1:
            return self._to_draft(request, drafts[0])
        links = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            ((reverse("admin:journeys_playbook_change", args=[d.pk]), str(d)) for d in drafts),
        )
        self.message_user(request, format_html("{} {}", _("Drafts ready to edit:"), links), messages.SUCCESS)
        return None

    @admin.action(description=_("Publish"), permissions=["version"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Playbook]) -> None:
        for playbook in queryset:
            self._publish(request, playbook)

    def _to_draft(self, request: HttpRequest, draft: Playbook) -> HttpResponse:
        self.message_user(
            request,
            _("Draft %(draft)s is ready: edit it, then publish it.") % {"draft": draft},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:journeys_playbook_change", args=[draft.pk]))

    def _publish(self, request: HttpRequest, playbook: Playbook) -> bool:
        try:
            playbook_publish(playbook=playbook, by=admin_user(request))
        except ValidationError as error:
            self.message_user(request, f"{playbook}: {_error_text(error)}", messages.ERROR)
            return False
        older = (
            Journey.objects.filter(playbook_key=playbook.key).exclude(playbook=playbook).count()
        )  # they keep their version until moved
        text = _("%(playbook)s is published.") % {"playbook": playbook}
        if older:
            text = format_html(
                '{} <a href="{}?playbook_key={}&amp;playbook__status__exact=retired">{}</a>',
                text,
                reverse("admin:journeys_journey_changelist"),
                playbook.key,
                ngettext(
                    "%(count)d journey still runs on an older version.",
                    "%(count)d journeys still run on older versions.",
                    older,
                )
                % {"count": older},
            )
        self.message_user(request, text, messages.SUCCESS)
        return True

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/new-version/", view(self.new_version_view), name="journeys_playbook_new_version"),
            path("<path:object_id>/publish/", view(self.publish_view), name="journeys_playbook_publish"),
            *super().get_urls(),
        ]

    def new_version_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_version_permission(request):
            raise PermissionDenied
        playbook = get_object_or_404(Playbook, pk=object_id)
        return self._to_draft(request, playbook_new_version(playbook=playbook, by=admin_user(request)))

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_version_permission(request):
            raise PermissionDenied
        playbook = get_object_or_404(Playbook, pk=object_id)
        self._publish(request, playbook)
        return HttpResponseRedirect(reverse("admin:journeys_playbook_change", args=[playbook.pk]))


# --- Journeys -------------------------------------------------------------------


class StepStateInline(ReadOnlyInline):
    model = StepState
    verbose_name_plural = _("checklist")
    fields = ["step", "status", "reason", "assignee", "due_at", "completed_at", "changed_at", "changed_by"]
    readonly_fields = cast("list[str]", fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StepState]:
        return super().get_queryset(request).select_related("step", "assignee", "changed_by")


class StepEventInline(ReadOnlyInline):
    model = StepEvent
    fk_name = "journey"
    verbose_name_plural = _("history")
    ordering = ["occurred_at", "id"]
    fields = ["occurred_at", "step_title", "from_status", "to_status", "reason", "what", "actor", "source"]
    readonly_fields = cast("list[str]", fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StepEvent]:
        return super().get_queryset(request).select_related("step_state__step", "actor")

    @admin.display(description=_("step"))
    def step_title(self, event: StepEvent) -> str:
        return event.step_state.step.display_title

    @admin.display(description=_("note"))
    def what(self, event: StepEvent) -> str:
        return event.display_note


class AchievementInline(ReadOnlyInline):
    model = Achievement
    fields = ["milestone", "kind", "achieved_at", "source", "recorded_at", "revoked_at"]
    readonly_fields = cast("list[str]", fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Achievement]:
        # Revoked ones too: the journey's page shows what was reached and what was taken back.
        return Achievement.with_revoked.select_related("milestone")


@admin.register(Journey)
class JourneyAdmin(ReadOnlyAdmin):
    list_display = ["account", "playbook_version", "started_at", "progress", "achievement_count", "completed_at"]
    list_filter = ["playbook_key", "playbook__status", "account__segment", ("completed_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "account__slug", "playbook_key"]
    list_select_related = ["account", "playbook"]
    date_hierarchy = "started_at"
    actions = ["move_to_latest_version"]
    fields = [
        "account",
        "playbook",
        "started_at",
        "completed_at",
        "progress",
        "created_at",
        "created_by",
    ]
    readonly_fields = cast("list[str]", fields)
    inlines = [StepStateInline, AchievementInline, StepEventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Journey]:
        # Steps a newer version dropped stay in the history but are not part of the checklist.
        current = {"step__playbook_id": OuterRef("playbook_id")}
        return (
            super()
            .get_queryset(request)
            .annotate(
                steps_total=count_of(StepState, link="journey", **current),
                steps_closed=count_of(StepState, link="journey", status__in=StepState.CLOSED, **current),
                achievements_total=count_of(Achievement, link="journey"),
            )
        )

    @admin.display(description=_("playbook"), ordering="playbook__key")
    def playbook_version(self, journey: Journey) -> str:
        return str(journey.playbook)

    @admin.display(description=_("progress"), ordering="steps_closed")
    def progress(self, journey: Journey) -> str:
        return f"{journey.steps_closed}/{journey.steps_total}"

    @admin.display(description=_("milestones reached"), ordering="achievements_total")
    def achievement_count(self, journey: Journey) -> int:
        return journey.achievements_total

    def has_migrate_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request) and request.user.has_perm("journeys.change_journey")

    @admin.action(description=_("Move to the latest published version"), permissions=["migrate"])
    def move_to_latest_version(self, request: HttpRequest, queryset: QuerySet[Journey]) -> None:
        journeys = list(queryset.select_related("playbook"))
        latest = {
            p.key: p
            for p in Playbook.objects.filter(
                key__in={j.playbook_key for j in journeys}, status=Playbook.Status.PUBLISHED
            )
        }
        moved = 0
        for journey in journeys:
            target = latest.get(journey.playbook_key)
            if target is None or target.pk == journey.playbook_id:
                continue
            try:
                journey_migrate(journey=journey, to=target, by=admin_user(request))
            except ValidationError as error:
                self.message_user(request, f"{journey}: {_error_text(error)}", messages.ERROR)
                continue
            moved += 1
        unchanged = len(journeys) - moved
        self.message_user(
            request,
            ngettext(
                "%(moved)d journey moved to the latest published version",
                "%(moved)d journeys moved to the latest published version",
                moved,
            )
            % {"moved": moved}
            + "; "
            + ngettext(
                "%(count)d left as it was (already on it, or no published version).",
                "%(count)d left as they were (already on it, or no published version).",
                unchanged,
            )
            % {"count": unchanged},
            messages.SUCCESS if moved else messages.WARNING,
        )


# --- History, measurements and value ---------------------------------------------


class AchievementChangeInline(ReadOnlyInline):
    model = AchievementChange
    verbose_name_plural = _("history")
    ordering = ["occurred_at", "id"]
    fields = ["occurred_at", "kind", "from_at", "to_at", "reason", "actor", "source"]
    readonly_fields = cast("list[str]", fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AchievementChange]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Achievement)
class AchievementAdmin(ReadOnlyAdmin):
    """Every achievement, revoked ones too (reports leave those out), each with its history."""

    list_display = [
        "account", "milestone", "kind", "achieved_at", "days_to_reach", "source", "recorded_at", "revoked_at",
    ]  # fmt: skip
    list_filter = [
        "kind", "source", ("revoked_at", admin.EmptyFieldListFilter), "account__segment", "journey__playbook_key",
    ]  # fmt: skip
    search_fields = ["account__name", "account__slug", "milestone__name", "milestone_key"]
    list_select_related = ["account", "milestone", "journey"]
    date_hierarchy = "achieved_at"
    inlines = [AchievementChangeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Achievement]:
        return Achievement.with_revoked.select_related(*self.list_select_related)

    @admin.display(description=_("days from start"))
    def days_to_reach(self, achievement: Achievement) -> str:
        seconds = (achievement.achieved_at - achievement.journey.started_at).total_seconds()
        return f"{seconds / 86400:.1f}"


@admin.register(StepEvent)
class StepEventAdmin(ReadOnlyAdmin):
    """Append-only: the history of every step, as it happened."""

    list_display = ["occurred_at", "account", "step_title", "from_status", "to_status", "source", "actor", "reason"]
    list_filter = ["source", "to_status", "change", "journey__playbook_key", "journey__account__segment"]
    search_fields = ["journey__account__name", "journey__account__slug", "step_state__step__title", "reason", "note"]
    list_select_related = ["journey__account", "step_state__step", "actor"]
    date_hierarchy = "occurred_at"

    @admin.display(description=_("account"), ordering="journey__account__name")
    def account(self, event: StepEvent) -> str:
        return str(event.journey.account)

    @admin.display(description=_("step"), ordering="step_state__step__title")
    def step_title(self, event: StepEvent) -> str:
        return event.step_state.step.display_title


class ValueRecordForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Why the correction"), max_length=500, required=False, help_text=_("Kept in the record's history.")
    )

    class Meta:
        model = ValueRecord
        fields = ["account", "amount", "occurred_on", "note"]

    def clean_occurred_on(self):
        occurred_on = self.cleaned_data["occurred_on"]
        if occurred_on > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return occurred_on

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        if self.instance.pk is not None and not reason:
            raise ValidationError(_("Say why, so the team knows what happened."), code="required")
        return reason


class ValueRecordChangeInline(ReadOnlyInline):
    model = ValueRecordChange
    verbose_name_plural = _("history")
    ordering = ["occurred_at", "id"]
    fields = ["occurred_at", "kind", "old_amount", "old_occurred_on", "old_note", "new_amount", "new_occurred_on",
              "new_note", "reason", "actor"]  # fmt: skip
    readonly_fields = cast("list[str]", fields)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ValueRecordChange]:
        return super().get_queryset(request).select_related("actor")


@admin.register(ValueRecord)
class ValueRecordAdmin(admin.ModelAdmin):
    """Every value record, deleted ones too (read-only, out of every sum). Adding and correcting go
    through the services, a correction with its reason; deleting is done, with a reason, on the
    account page."""

    form = ValueRecordForm
    list_display = ["account", "amount", "occurred_on", "note", "recorded_by", "created_at", "deleted_at"]
    list_filter = ["account__segment", "occurred_on", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "account__slug", "note"]
    list_select_related = ["account", "recorded_by"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["account"]
    readonly_fields = ["recorded_by", "created_at", "deleted_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ValueRecord]:
        return ValueRecord.with_deleted.select_related(*self.list_select_related)

    def get_inlines(self, request: HttpRequest, obj: ValueRecord | None) -> list[type[admin.options.InlineModelAdmin]]:
        return [ValueRecordChangeInline] if obj is not None else []  # a new record has no history

    def get_readonly_fields(self, request: HttpRequest, obj: ValueRecord | None = None) -> list[str]:
        # A record stays with its account; a correction changes what it says.
        return [*self.readonly_fields, "account"] if obj is not None else list(self.readonly_fields)

    def has_change_permission(self, request: HttpRequest, obj: ValueRecord | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.deleted_at is None)

    def has_delete_permission(self, request: HttpRequest, obj: ValueRecord | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ValueRecord, form: forms.ModelForm, change: bool) -> None:
        if not change:
            # Through the service, so the account's ROI milestone is evaluated.
            record = value_record_create(
                account=obj.account,
                amount=obj.amount,
                occurred_on=obj.occurred_on,
                note=obj.note,
                by=admin_user(request),
            )
            obj.pk = record.pk
            obj.recorded_by = record.recorded_by
            obj.created_at = record.created_at
            obj._state.adding = False
            obj._state.db = record._state.db
            return
        # Through the service too: the old values go to the history, and ROI follows (either way).
        try:
            value_record_correct(
                record=obj,
                amount=obj.amount,
                occurred_on=obj.occurred_on,
                note=obj.note,
                reason=form.cleaned_data["reason"],
                by=admin_user(request),
            )
        except ValidationError as error:
            self.message_user(request, _error_text(error), messages.ERROR)


@admin.register(MilestoneFeedback)
class MilestoneFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["account", "milestone", "user", "score", "comment", "created_at"]
    list_filter = ["score", "achievement__kind", "achievement__account__segment"]
    search_fields = ["comment", "user__email", "user__name", "achievement__account__name"]
    list_select_related = ["achievement__account", "achievement__milestone", "user"]
    date_hierarchy = "created_at"

    @admin.display(description=_("account"), ordering="achievement__account__name")
    def account(self, feedback: MilestoneFeedback) -> str:
        return str(feedback.achievement.account)

    @admin.display(description=_("milestone"), ordering="achievement__milestone__name")
    def milestone(self, feedback: MilestoneFeedback) -> str:
        return str(feedback.achievement.milestone)


# --- The help centre's articles: the onboarding steps each helps with -------------------------


class ArticleStepForm(forms.ModelForm):
    step = forms.ChoiceField(label=_("step"), choices=step_choices)

    class Meta:
        model = ArticleStep
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["step"] = f"{self.instance.playbook_key}/{self.instance.step_key}"

    def clean(self) -> dict[str, Any]:
        super().clean()  # returns cleaned_data
        cleaned = self.cleaned_data
        value = cleaned.get("step") or ""
        if "/" in value:
            self.instance.playbook_key, self.instance.step_key = value.split("/", 1)
        return cleaned


class ArticleStepFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            step = form.cleaned_data.get("step")
            if step in seen:
                form.add_error("step", _("This step is already linked."))
            if step:
                seen.add(step)


class ArticleStepInline(admin.TabularInline):
    model = ArticleStep
    form = ArticleStepForm
    formset = ArticleStepFormSet
    extra = 0
    verbose_name = _("onboarding step it helps with")
    verbose_name_plural = _("onboarding steps it helps with")


admin.site.unregister(Article)


@admin.register(Article)
class ArticleAdmin(faq_admin.ArticleAdmin):
    """The help centre's article admin, with the steps each article helps with, chosen among the
    playbooks' steps (an article names them by playbook key and step key)."""

    inlines = [*faq_admin.ArticleAdmin.inlines, ArticleStepInline]


# --- Accounts: a new one starts its segment's playbook -------------------------------------------


admin.site.unregister(Account)


@admin.register(Account)
class AccountAdmin(portal_admin.AccountAdmin):
    """The accounts admin of ``portal``; an account added here starts its segment's onboarding playbook
    straight away."""

    def save_model(self, request: HttpRequest, obj: Account, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            journey_start_default(account=obj, by=admin_user(request))
