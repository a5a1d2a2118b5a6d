"""The data the fuzzed pages stand on: enough that every detail page and form resolves."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from journeys.onboarding.models import Journey
from journeys.onboarding.services.journeys import feedback_give, journey_start, value_record_create
from journeys.workspace.services import note_add
from journeys.workspace.views import ACCOUNT_PANELS
from portal.imports import import_create
from portal.preferences import unsubscribe_token
from portal.tokens import token_create
from support.services import attempt_start, inquiry_create
from tests.conftest import World
from tests.factories import (
    ArticleFactory,
    ArticleStepFactory,
    ArticleVoteFactory,
    CategoryFactory,
    InvitationFactory,
    NotificationPreferencesFactory,
    PublishedPlaybookFactory,
    SearchLogFactory,
    SuccessGoalFactory,
)
from tests.fuzz.harness import CASES, Site, summary

INVITE_TOKEN = "fuzz-invitation-token"
IMPORT_PAGES = ("import_detail", "import_errors", "import_run", "import_rollback")


@pytest.fixture
def site(world: World, journey_a: Journey) -> Site:
    """Account A on a two-step journey (its first milestone reached and rated), with a note, a goal,
    a value record and open invitations; account B on the same playbook; a second playbook that A
    can start; help articles in both languages, one of them a tutorial of A's first step."""
    account = world.account_a
    journey_start(account=world.account_b, playbook=journey_a.playbook)
    PublishedPlaybookFactory(key="advanced", name="Advanced", segments=[account.segment])
    category = CategoryFactory(slug="getting-started", name="はじめに", name_en="Getting started")
    public = ArticleFactory(category=category, slug="first-steps", title="はじめの一歩", visibility="public")
    ArticleFactory(category=category, slug="first-steps", language="en", visibility="public", translation_of=public)
    ArticleFactory(category=category, slug="for-customers", title="お客様向け")
    ArticleStepFactory(article=public, playbook_key="basics", step_key="connect")
    ArticleVoteFactory(article=public, user=world.customer_a, comment="役に立ちました")
    SearchLogFactory()
    goal = SuccessGoalFactory(account=account, created_by=world.csm_a, measure="10 reports a week")
    note = note_add(account=account, body="Kick-off went well.", by=world.csm_a)
    record = value_record_create(
        account=account, amount=Decimal(250_000), occurred_on=timezone.localdate(), note="Saved time", by=world.csm_a
    )
    achievement = journey_a.achievements.get()
    feedback_give(achievement=achievement, user=world.customer_a, score=4, comment="Good start")
    InvitationFactory(
        account=account, email="invitee@example.com", token=INVITE_TOKEN, invited_by=world.customer_admin_a
    )
    revocable = InvitationFactory(account=account, invited_by=world.customer_admin_a)
    for user in (world.customer_a, world.customer_admin_a, world.csm_a, world.admin):
        NotificationPreferencesFactory(user=user)
    inquiry = inquiry_create(
        account=account, author=world.customer_a, subject="Import fails", body="At row 2.",
        attachments=[(SimpleUploadedFile("log.txt", b"row 2: bad date"), "text/plain")],
    )  # fmt: skip
    attempt = attempt_start(account=account, user=world.customer_a, query="import")
    token = token_create(owner=world.customer_a, name="Customer A's tool", scopes=["profile:read"])[0]
    account_import = import_create(
        file_name="crm.csv", data="取引先名,ドメイン,セグメント\nAlpha KK,alpha.example,smb\n".encode(), by=world.admin
    )
    connect = journey_a.step_states.get(step_key="connect")
    launch = journey_a.step_states.get(step_key="launch")
    article = {"language": "ja", "slug": public.slug}
    return Site(
        users={
            "anon": None,
            "customer": world.customer_a,
            "customer_admin": world.customer_admin_a,
            "csm": world.csm_a,
            "admin": world.admin,
        },
        kwargs={
            "account_detail": {"slug": account.slug},
            **{f"account_panel_{panel}": {"slug": account.slug} for panel in ACCOUNT_PANELS},
            "account_note_add": {"slug": account.slug},
            "account_value_create": {"slug": account.slug},
            "journey_start": {"slug": account.slug},
            "success_goal_add": {"slug": account.slug},
            "success_goal_status": {"pk": goal.pk},
            "invitation_accept": {"token": INVITE_TOKEN},
            "invitation_revoke": {"pk": revocable.pk},
            "token_revoke": {"pk": token.pk},
            **{name: {"pk": account_import.pk} for name in IMPORT_PAGES},
            "invitation_resend": {"pk": revocable.pk},
            "account_note_edit": {"pk": note.pk},
            "value_record": {"pk": record.pk},
            "value_record_delete": {"pk": record.pk},
            "account_value_record": {"slug": account.slug, "pk": record.pk},
            "account_value_record_delete": {"slug": account.slug, "pk": record.pk},
            "member_remove": {"pk": world.customer_a.membership.pk},
            "member_role": {"pk": world.customer_a.membership.pk},
            "help_analytics_export": {"table": "gaps"},
            "unsubscribe": {"token": unsubscribe_token(user=world.customer_a, category="nudges")},
            "password_reset_confirm": {
                "uidb64": urlsafe_base64_encode(force_bytes(world.customer_a.pk)),
                "token": default_token_generator.make_token(world.customer_a),
            },
            "step_status": {"pk": connect.pk},
            "step_assign": {"pk": connect.pk},
            "step_reschedule": {"pk": launch.pk},
            "milestone_feedback": {"pk": achievement.pk},
            "faq:article": article,
            "faq:vote": article,
            "faq:category": {"slug": category.slug},
            "faq:short": {"pk": public.pk},
            "faq:qr": {"pk": public.pk},
            "support:inquiry": {"pk": inquiry.pk},
            "support:attachment": {"pk": inquiry.messages.get().attachments.get().pk},
            "support:suggestion_open": {"attempt": attempt.pk, "article": public.pk},
            "support:solved": {"attempt": attempt.pk},
            "support:desk_inquiry": {"pk": inquiry.pk},
            "support:desk_status": {"pk": inquiry.pk},
        },
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if CASES:
        terminalreporter.write_line(summary())
