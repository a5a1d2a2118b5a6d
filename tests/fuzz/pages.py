"""What the fuzz tests ask: every page with its query parameters, every form with its fields, by role.

Each URL of the resolver is in PAGES (asked with GET), in FORMS (posted to), or under a route of
EXCLUDED with the reason; ``test_every_url_is_fuzzed_or_excluded`` fails for a URL that is in none.
The parameters listed are those found in the code (``request.GET.get``, forms bound to
``request.GET``); the tests add whatever else a page is seen to read, and keys nobody reads.
Objects in the paths are those of the ``site`` fixture (conftest.py): account A is "alpha".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.http import QueryDict
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from faq.forms import SearchForm, VoteForm
from journeys.onboarding.forms import (
    FeedbackForm,
    JourneyStartForm,
    StepAssignForm,
    StepRescheduleForm,
    StepStatusForm,
    ValueRecordCorrectForm,
    ValueRecordDeleteForm,
    ValueRecordForm,
)
from journeys.onboarding.selectors import startable_playbooks
from journeys.reports.forms import ReportFilterForm
from journeys.workspace.forms import GoalForm, NoteForm
from journeys.workspace.views import ACCOUNT_PANELS, PORTFOLIO_RISKS, PORTFOLIO_SORTS
from portal.forms import EmailAuthenticationForm, InvitationAcceptForm, InvitationForm, MemberRoleForm, ProfileForm
from portal.import_views import mapping_form
from portal.imports import FIELDS, RULES
from portal.models import Account, AccountImport, MilestoneKind, User
from portal.preference_views import NotificationPreferencesForm
from portal.preferences import categories_for, preferences_get
from portal.token_views import TokenForm
from support.forms import (
    AskForm,
    DeskReplyForm,
    DeskStatusForm,
    QueueFilterForm,
    ReplyForm,
    SolvedForm,
    SupportReportForm,
)
from tests.fuzz.harness import CUSTOMERS, ROLES, SIGNED_IN, STAFF
from tests.fuzz.strategies import fields_of, hostile


def one_of_or_hostile(*values: str) -> SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), hostile)


PAGE = st.one_of(st.integers(min_value=-5, max_value=2**70).map(str), hostile)
NEXT = one_of_or_hostile("/app/", "/accounts/alpha/#notes", "/reports/cohorts/?kind=roi", "https://evil.example/")
SEGMENT = one_of_or_hostile("smb", "enterprise")
ACCOUNT_STATUS = one_of_or_hostile(*Account.Status.values)
REPORT_FILTERS = fields_of(ReportFilterForm)
PLAYBOOK = one_of_or_hostile("basics", "advanced")


@dataclass(frozen=True)
class Page:
    roles: tuple[str, ...]
    params: Mapping[str, SearchStrategy[str]] = field(default_factory=dict)
    htmx: bool = False  # the page answers a part of itself to htmx: ask both ways


# The form a view binds, built as the view builds it: (data, the signed-in user or None) -> form.
Binder = Callable[[QueryDict, User | None], forms.BaseForm]


@dataclass(frozen=True)
class Form:
    roles: tuple[str, ...]
    fields: Mapping[str, SearchStrategy[str]]
    bind: Binder | None = None  # None: the view has no form class; only "no server error" is checked
    htmx: bool = False
    prime: bool = False  # GET the URL first: the form is where it redirects (a password reset link)
    statuses: frozenset[int] = frozenset({200, 302, 400})
    removes: bool = False  # the action ends a row on purpose (a member leaves): rows may go


def _account_alpha() -> Account:
    return Account.objects.get(slug="alpha")  # the account of every form's object


PAGES: dict[str, Page] = {
    "home": Page(ROLES),
    "healthz": Page(("anon",)),
    "login": Page(("anon",), {"next": NEXT}),
    "password_reset": Page(("anon",)),
    "password_reset_done": Page(("anon",)),
    "password_reset_confirm": Page(("anon",)),
    "password_reset_complete": Page(("anon",)),
    "password_change": Page(("customer", "csm")),
    "password_change_done": Page(("customer",)),
    "invitation_accept": Page(("anon",)),
    "profile": Page(SIGNED_IN),
    "notification_settings": Page(("customer", "csm")),
    "token_list": Page(SIGNED_IN),
    "import_list": Page(("admin", "csm")),
    "import_detail": Page(("admin",), htmx=True),
    "import_errors": Page(("admin",)),
    "unsubscribe": Page(("anon",)),
    "customer_home": Page(CUSTOMERS),
    "team": Page(CUSTOMERS),
    "value": Page(CUSTOMERS),
    "portfolio": Page(
        STAFF,
        {
            "csm": st.one_of(st.integers(min_value=-1, max_value=2**70).map(str), hostile),
            "segment": SEGMENT,
            "status": ACCOUNT_STATUS,
            "risk": one_of_or_hostile(*(value for value, _label in PORTFOLIO_RISKS)),
            "milestone": one_of_or_hostile(*MilestoneKind.values),
            "q": hostile,
            "sort": one_of_or_hostile(*(value for value, _label in PORTFOLIO_SORTS)),
            "format": one_of_or_hostile("csv"),
            "page": PAGE,
        },
    ),
    "account_list": Page(STAFF, {"q": hostile, "segment": SEGMENT, "status": ACCOUNT_STATUS, "page": PAGE}, htmx=True),
    "account_detail": Page(STAFF),
    **{f"account_panel_{panel}": Page(STAFF, htmx=True) for panel in ACCOUNT_PANELS},
    "admin_home": Page(("admin",), REPORT_FILTERS),
    "report_cohorts": Page(("admin",), REPORT_FILTERS),
    "report_funnel": Page(("admin",), {**REPORT_FILTERS, "playbook": PLAYBOOK}),
    "report_at_risk": Page(
        ("admin",),
        {
            **REPORT_FILTERS,
            "segment": SEGMENT,
            "status": one_of_or_hostile("overdue", "likely_late"),
            "sort": one_of_or_hostile("late", "name", "segment"),
            "page": PAGE,
        },
    ),
    "report_bottlenecks": Page(("admin",), {**REPORT_FILTERS, "playbook": PLAYBOOK}),
    "report_distribution": Page(("admin",), REPORT_FILTERS),
    "report_export_table": Page(
        ("admin",), {**REPORT_FILTERS, "group_by": one_of_or_hostile("segment", "plan", "csm", "cohort_month")}
    ),
    "report_export_rows": Page(("admin",), REPORT_FILTERS),
    "report_export_funnel": Page(("admin",), {**REPORT_FILTERS, "playbook": PLAYBOOK}),
    "report_export_at_risk": Page(("admin",), REPORT_FILTERS),
    "report_export_bottlenecks": Page(("admin",), {**REPORT_FILTERS, "playbook": PLAYBOOK}),
    "report_export_distribution": Page(("admin",), REPORT_FILTERS),
    "report_support": Page(("admin",), REPORT_FILTERS),
    "report_export_support": Page(("admin",), REPORT_FILTERS),
    "help_analytics_export": Page(("admin",)),
    "account_note_edit": Page(("csm",)),
    "value_record": Page(("customer_admin",)),
    "account_value_record": Page(("csm",)),
    "help_analytics": Page(("admin",)),
    "faq:home": Page(("anon", "customer", "csm")),
    "faq:search": Page(("anon", "customer", "csm"), fields_of(SearchForm), htmx=True),
    "faq:category": Page(("anon", "customer")),
    "faq:article": Page(("anon", "customer"), {"rated": one_of_or_hostile("1")}),
    "faq:short": Page(("anon", "customer")),
    "faq:qr": Page(("anon", "customer")),
    "sitemap": Page(("anon",), {"p": PAGE}),
    "support:inquiries": Page(CUSTOMERS),
    "support:ask": Page(
        CUSTOMERS, {"q": hostile, "step": one_of_or_hostile("basics/connect", "basics/nope"), "category": hostile}
    ),
    "support:suggest": Page(CUSTOMERS, {"subject": hostile, "body": hostile, "attempt": PAGE}, htmx=True),
    "support:suggestion_open": Page(CUSTOMERS),
    "support:inquiry": Page(CUSTOMERS),
    "support:attachment": Page(SIGNED_IN),
    "support:queue": Page(STAFF, {**fields_of(QueueFilterForm), "page": PAGE}),
    "support:desk_inquiry": Page(STAFF),
    "support:reports": Page(STAFF, fields_of(SupportReportForm)),
    "support:report_export_first_replies": Page(STAFF, fields_of(SupportReportForm)),
    "support:report_export_deflection": Page(STAFF, fields_of(SupportReportForm)),
}

FORMS: dict[str, Form] = {
    "login": Form(("anon",), fields_of(EmailAuthenticationForm, next=NEXT)),
    "logout": Form(("customer",), {"next": NEXT}),
    "password_reset": Form(("anon",), fields_of(PasswordResetForm), bind=lambda data, user: PasswordResetForm(data)),
    "password_reset_confirm": Form(
        ("anon",),
        fields_of(SetPasswordForm),
        bind=lambda data, user: SetPasswordForm(User.objects.get(email="member@alpha.example"), data),
        prime=True,
    ),
    "password_change": Form(
        ("customer",), fields_of(PasswordChangeForm), bind=lambda data, user: PasswordChangeForm(user, data)
    ),
    "invitation_accept": Form(
        ("anon",),
        fields_of(InvitationAcceptForm),
        bind=lambda data, user: InvitationAcceptForm(data, email="invitee@example.com"),
    ),
    "invitation_revoke": Form(("customer_admin", "csm", "admin"), {}),
    "profile": Form(SIGNED_IN, fields_of(ProfileForm), bind=lambda data, user: ProfileForm(data, instance=user)),
    "notification_settings": Form(
        ("customer", "csm"),
        fields_of(NotificationPreferencesForm),
        bind=lambda data, user: NotificationPreferencesForm(
            data, instance=preferences_get(user=user), categories=categories_for(user=user)
        ),
    ),
    "token_list": Form(
        ("customer", "csm", "admin"),
        fields_of(TokenForm),
        bind=lambda data, user: TokenForm(data, user=user),
        statuses=frozenset({200, 201, 400}),
    ),
    "token_revoke": Form(SIGNED_IN, {}, statuses=frozenset({302, 404})),
    # An upload form posted without a file (the fuzz posts no files): refused with the form.
    "import_list": Form(("admin", "csm"), {"file": hostile}, statuses=frozenset({400, 403})),
    "import_detail": Form(
        ("admin",),
        {
            **{f"column_{i}": one_of_or_hostile("", *FIELDS) for i in range(4)},
            **{f"rule_{name}": one_of_or_hostile(*RULES) for name in FIELDS},
        },
        bind=lambda data, user: mapping_form(AccountImport.objects.get(), data),
    ),
    "import_run": Form(("admin",), {}, statuses=frozenset({302})),
    "import_rollback": Form(("admin",), {}, statuses=frozenset({302})),
    "unsubscribe": Form(("anon",), {}, statuses=frozenset({200})),
    "set_language": Form(("anon", "customer"), {"language": one_of_or_hostile("ja", "en"), "next": NEXT}),
    "team": Form(("customer_admin",), fields_of(InvitationForm), bind=lambda data, user: InvitationForm(data)),
    "value": Form(("customer_admin",), fields_of(ValueRecordForm), bind=lambda data, user: ValueRecordForm(data)),
    "step_status": Form(
        ("customer", "csm"),
        fields_of(StepStatusForm, next=NEXT),
        bind=lambda data, user: StepStatusForm(data),
        htmx=True,
    ),
    "step_assign": Form(
        ("customer_admin", "csm"),
        {"assignee": st.one_of(st.integers(min_value=-1, max_value=2**70).map(str), hostile), "next": NEXT},
        bind=lambda data, user: StepAssignForm(data, account=_account_alpha()),
        htmx=True,
    ),
    "step_reschedule": Form(
        ("csm", "admin"),
        fields_of(StepRescheduleForm, next=NEXT),
        bind=lambda data, user: StepRescheduleForm(data),
        htmx=True,
    ),
    "milestone_feedback": Form(
        CUSTOMERS, fields_of(FeedbackForm, next=NEXT), bind=lambda data, user: FeedbackForm(data)
    ),
    "account_detail": Form(STAFF, fields_of(InvitationForm), bind=lambda data, user: InvitationForm(data)),
    "account_value_create": Form(("csm",), fields_of(ValueRecordForm), bind=lambda data, user: ValueRecordForm(data)),
    "journey_start": Form(
        STAFF,
        fields_of(JourneyStartForm, playbook=st.one_of(st.integers(min_value=0, max_value=20).map(str), hostile)),
        bind=lambda data, user: JourneyStartForm(data, playbooks=startable_playbooks(account=_account_alpha())),
    ),
    "account_note_add": Form(STAFF, fields_of(NoteForm), bind=lambda data, user: NoteForm(data)),
    "account_note_edit": Form(("csm",), fields_of(NoteForm), bind=lambda data, user: NoteForm(data)),
    "member_role": Form(("customer_admin",), fields_of(MemberRoleForm), bind=lambda data, user: MemberRoleForm(data)),
    "member_remove": Form(("customer_admin",), {}, removes=True),
    "invitation_resend": Form(("customer_admin", "csm"), {}),
    "value_record": Form(
        ("customer_admin",), fields_of(ValueRecordCorrectForm), bind=lambda data, user: ValueRecordCorrectForm(data)
    ),
    "value_record_delete": Form(
        ("customer_admin",), fields_of(ValueRecordDeleteForm), bind=lambda data, user: ValueRecordDeleteForm(data)
    ),
    "account_value_record": Form(
        ("csm",), fields_of(ValueRecordCorrectForm), bind=lambda data, user: ValueRecordCorrectForm(data)
    ),
    "account_value_record_delete": Form(
        ("csm",), fields_of(ValueRecordDeleteForm), bind=lambda data, user: ValueRecordDeleteForm(data)
    ),
    "success_goal_add": Form(("csm",), fields_of(GoalForm), bind=lambda data, user: GoalForm(data)),
    "success_goal_status": Form(("csm",), {"status": one_of_or_hostile("open", "achieved", "dropped")}),
    "report_refresh": Form(("admin",), {"next": NEXT}),
    "faq:vote": Form(("anon", "customer"), fields_of(VoteForm), bind=lambda data, user: VoteForm(data), htmx=True),
    "support:ask": Form(CUSTOMERS, fields_of(AskForm), bind=lambda data, user: AskForm(data)),
    "support:inquiry": Form(CUSTOMERS, fields_of(ReplyForm), bind=lambda data, user: ReplyForm(data)),
    "support:solved": Form(("customer",), fields_of(SolvedForm), bind=lambda data, user: SolvedForm(data)),
    "support:desk_inquiry": Form(STAFF, fields_of(DeskReplyForm), bind=lambda data, user: DeskReplyForm(data)),
    "support:desk_status": Form(STAFF, fields_of(DeskStatusForm), bind=lambda data, user: DeskStatusForm(data)),
    "support:assign": Form(
        STAFF,
        {
            "inquiries": st.one_of(st.integers(min_value=-1, max_value=2**70).map(str), hostile),
            "assignee": st.one_of(st.integers(min_value=-1, max_value=2**70).map(str), hostile),
            "next": NEXT,
        },
    ),
}

# URLs neither asked nor posted to, by the start of their route, and why.
EXCLUDED: dict[str, str] = {
    "admin/": "Django's admin: its changelists are fuzzed by test_admin_changelists; its object forms are Django's",
    "api/v1/": "the JSON API has its own tests of bad input",
    "media/": "uploads are served by the application only in development (DEBUG), never under the tests",
}


def excluded(route: str) -> str | None:
    return next((reason for start, reason in EXCLUDED.items() if route.lstrip("^").startswith(start)), None)
