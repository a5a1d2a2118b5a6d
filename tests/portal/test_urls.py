"""Every URL the project has by every role, against an expected-access table.

The URL list comes from the resolver, so a new page without an entry in
EXPECTED fails this test until someone decides who may see it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from journeys.onboarding.services.journeys import value_record_create
from journeys.workspace.views import ACCOUNT_PANELS
from portal.imports import import_create
from portal.tokens import token_create
from support.services import attempt_start, inquiry_create
from tests.conftest import World
from tests.factories import (
    AccountNoteFactory,
    ArticleFactory,
    CategoryFactory,
    InvitationFactory,
    MembershipFactory,
    SuccessGoalFactory,
)
from tests.routes import all_urls

ROLES = ["anon", "customer_a", "customer_admin_a", "customer_b", "csm_a", "csm_b", "admin"]
INVITE_TOKEN = "matrix-invitation-token"


def row(anon: int, customer_a: int, customer_admin_a: int, customer_b: int, csm_a: int, csm_b: int, admin: int):
    return dict(zip(ROLES, [anon, customer_a, customer_admin_a, customer_b, csm_a, csm_b, admin], strict=True))


def same(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(anon: int, others: int) -> dict[str, int]:
    return {"anon": anon, **dict.fromkeys(ROLES[1:], others)}


# Objects in the URLs belong to tenant A (account "alpha", an invitation to alpha).
# 302 for an anonymous visitor is the redirect to sign in; 403 is "not your role";
# 404 is "not yours", answered exactly like a missing object; 405 is a GET on a POST-only URL.
EXPECTED: dict[str, dict[str, int]] = {
    "home": same(302),
    "healthz": same(200),
    "login": signed_in(200, 302),
    "logout": same(405),
    "password_reset": same(200),
    "password_reset_done": same(200),
    "password_reset_confirm": same(200),
    "password_reset_complete": same(200),
    "password_change": signed_in(302, 200),
    "password_change_done": signed_in(302, 200),
    "invitation_accept": same(200),
    "invitation_revoke": same(405),
    "invitation_resend": same(405),
    "profile": signed_in(302, 200),
    "notification_settings": signed_in(302, 200),
    "token_list": signed_in(302, 200),
    "token_revoke": same(405),
    "import_list": row(302, 403, 403, 403, 403, 403, 200),
    "import_detail": row(302, 403, 403, 403, 403, 403, 200),
    "import_errors": row(302, 403, 403, 403, 403, 403, 200),
    "import_run": same(405),
    "import_rollback": same(405),
    "unsubscribe": same(404),  # the sample token is not a signed one: answered like a missing page
    "set_language": same(405),
    "customer_home": row(302, 200, 200, 200, 403, 403, 403),
    "team": row(302, 200, 200, 200, 403, 403, 403),
    "member_remove": same(405),
    "member_role": same(405),
    "value": row(302, 200, 200, 200, 403, 403, 403),
    "value_record": row(302, 403, 200, 404, 403, 403, 403),
    "value_record_delete": same(405),
    "step_status": same(405),
    "step_assign": same(405),
    "step_reschedule": same(405),
    "account_note_add": same(405),
    # The note is CSM A's: only its author corrects it; the admin sees it but may not rewrite it.
    "account_note_edit": row(302, 403, 403, 403, 200, 404, 403),
    "success_goal_add": same(405),
    "success_goal_status": same(405),
    "milestone_feedback": same(405),
    "account_value_create": same(405),
    "account_value_record": row(302, 403, 403, 403, 200, 404, 200),
    "account_value_record_delete": same(405),
    "journey_start": same(405),
    "portfolio": row(302, 403, 403, 403, 200, 200, 200),
    "account_list": row(302, 403, 403, 403, 200, 200, 200),
    "account_detail": row(302, 403, 403, 403, 200, 404, 200),
    **{f"account_panel_{panel}": row(302, 403, 403, 403, 200, 404, 200) for panel in ACCOUNT_PANELS},
    "admin_home": row(302, 403, 403, 403, 403, 403, 200),
    "report_cohorts": row(302, 403, 403, 403, 403, 403, 200),
    "report_refresh": same(405),
    "report_funnel": row(302, 403, 403, 403, 403, 403, 200),
    "report_at_risk": row(302, 403, 403, 403, 403, 403, 200),
    "report_bottlenecks": row(302, 403, 403, 403, 403, 403, 200),
    "report_distribution": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_table": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_rows": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_funnel": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_at_risk": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_bottlenecks": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_distribution": row(302, 403, 403, 403, 403, 403, 200),
    "report_support": row(302, 403, 403, 403, 403, 403, 200),
    "report_export_support": row(302, 403, 403, 403, 403, 403, 200),
    # In the API, 401 is "who are you?" (no session) and 403 "not your role".
    "api_me": signed_in(401, 200),
    "api_account_list": signed_in(401, 200),
    "api_account_detail": row(401, 200, 200, 404, 200, 404, 200),
    "api_account_by_external_id": signed_in(401, 405),  # PUT only
    "api_account_contacts": row(401, 200, 200, 404, 200, 404, 200),
    "api_account_contact": signed_in(401, 405),  # PATCH and DELETE only
    "api_events": same(401),  # an API key, never a session: 401 for every visitor without one
    # Reports measure first value unless told otherwise; a funnel and bottlenecks need a playbook
    # (400 means "past the role check" for staff).
    "api_ttv_report": row(401, 403, 403, 403, 200, 200, 200),
    "api_ttv_rows": row(401, 403, 403, 403, 200, 200, 200),
    "api_report_funnel": row(401, 403, 403, 403, 400, 400, 400),
    "api_report_bottlenecks": row(401, 403, 403, 403, 400, 400, 400),
    "api_report_at_risk": row(401, 403, 403, 403, 200, 200, 200),
    "api_report_distribution": row(401, 403, 403, 403, 200, 200, 200),
    "api_report_support_ttv": row(401, 403, 403, 403, 200, 200, 200),
    "api_report_support_first_replies": row(401, 403, 403, 403, 200, 200, 200),
    "api_report_support_deflection": row(401, 403, 403, 403, 200, 200, 200),
    # The help centre's API answers anyone, with what they may read; the article is customers-only.
    "api_article_list": same(200),
    "api_article_detail": signed_in(404, 200),
    "api_category_list": same(200),
    # The support desk's API: customers on one side, the desk (agents, CS managers, admins) on the
    # other; the inquiry is customer A's. Replies are POST-only: 405 once past the role check.
    "api_inquiry_list": row(401, 200, 200, 200, 403, 403, 403),
    "api_inquiry_detail": row(401, 200, 200, 404, 403, 403, 403),
    "api_inquiry_replies": row(401, 405, 405, 405, 403, 403, 403),
    "api_desk_inquiry_list": row(401, 403, 403, 403, 200, 200, 200),
    "api_desk_inquiry_detail": row(401, 403, 403, 403, 200, 404, 200),
    "api_desk_inquiry_replies": row(401, 403, 403, 403, 405, 405, 405),
    "api_account_journeys": row(401, 200, 200, 404, 200, 404, 200),
    "api_journey_move": signed_in(401, 405),
    "api_journey_step": signed_in(401, 405),
    "api_account_value": row(401, 200, 200, 404, 200, 404, 200),
    "api_account_forecast": row(401, 403, 403, 403, 200, 404, 200),
    "api_value_record": signed_in(401, 405),
    "api_account_achievements": signed_in(401, 405),
    # Webhook endpoints are global: admins only (no endpoint has the sample id, hence 404).
    "api_webhook_endpoints": row(401, 403, 403, 403, 403, 403, 200),
    "api_webhook_endpoint": row(401, 403, 403, 403, 403, 403, 404),
    "api_webhook_endpoint_rotate_secret": row(401, 403, 403, 403, 403, 403, 405),  # POST only
    "api_webhook_endpoint_test": row(401, 403, 403, 403, 403, 403, 405),  # POST only
    "api_webhook_deliveries": row(401, 403, 403, 403, 403, 403, 404),
    "api_webhook_deliveries_redeliver": row(401, 403, 403, 403, 403, 403, 405),  # POST only
    # Importing accounts is for admins (not with a token for one account); the import is not
    # checked yet, so it has no error file (409); the actions are POST-only (405 past the role check).
    "api_import_list": row(401, 403, 403, 403, 403, 403, 200),
    "api_import_detail": row(401, 403, 403, 403, 403, 403, 200),
    "api_import_errors": row(401, 403, 403, 403, 403, 403, 409),
    "api_import_check": row(401, 403, 403, 403, 403, 403, 405),
    "api_import_run": row(401, 403, 403, 403, 403, 403, 405),
    "api_import_rollback": row(401, 403, 403, 403, 403, 403, 405),
    "api_schema": same(200),
    "api_docs": same(200),
    # Help centre: a public category and article "alpha"; the short link and QR code are of a
    # customers-only article, so an anonymous visitor is sent to sign in or answered 404.
    "faq:home": same(200),
    "faq:search": same(200),
    "help_analytics": row(302, 403, 403, 403, 403, 403, 200),
    "help_analytics_export": row(302, 403, 403, 403, 403, 403, 200),
    "faq:category": same(200),
    "faq:article": same(200),
    "faq:vote": same(405),
    "faq:short": same(302),
    "faq:qr": signed_in(404, 200),
    "sitemap": same(200),
    "media": same(404),  # served only in development, and there is no such file
    "support:inquiries": row(302, 200, 200, 200, 403, 403, 403),
    "support:ask": row(302, 200, 200, 200, 403, 403, 403),
    "support:suggest": row(302, 200, 200, 200, 403, 403, 403),
    # Another's attempt counts nothing, but the article still opens for whoever may read it.
    "support:suggestion_open": row(302, 302, 302, 302, 403, 403, 403),
    "support:solved": same(405),
    "support:inquiry": row(302, 200, 200, 404, 403, 403, 403),  # customer A's question
    "support:attachment": row(302, 200, 200, 404, 200, 404, 200),
    "support:queue": row(302, 403, 403, 403, 200, 200, 200),
    "support:desk_inquiry": row(302, 403, 403, 403, 200, 404, 200),  # customer A's question
    "support:desk_status": same(405),
    "support:assign": same(405),
    "support:reports": row(302, 403, 403, 403, 200, 200, 200),
    "support:report_export_first_replies": row(302, 403, 403, 403, 200, 200, 200),
    "support:report_export_deflection": row(302, 403, 403, 403, 200, 200, 200),
}

# POST-only URLs are also posted to (with an empty form) by every role: 404 is
# "not yours", 400 or a redirect means the request got past the scoping.
POST_EXPECTED: dict[str, dict[str, int]] = {
    "logout": same(302),
    "token_revoke": row(302, 302, 404, 404, 404, 404, 404),  # customer A's token
    # An import not checked yet: it cannot run or be rolled back, and the admin is told so.
    "import_run": row(302, 403, 403, 403, 403, 403, 302),
    "import_rollback": row(302, 403, 403, 403, 403, 403, 302),
    "set_language": same(302),
    "invitation_revoke": row(302, 404, 302, 404, 302, 404, 302),
    "support:solved": row(302, 400, 404, 404, 403, 403, 403),  # customer A's attempt, no article chosen
    "support:desk_status": row(302, 403, 403, 403, 400, 404, 400),  # an empty form is refused
    "support:assign": row(302, 403, 403, 403, 400, 400, 400),
    "invitation_resend": row(302, 403, 302, 404, 302, 404, 302),
    # A colleague in account A: its customer admin removes them (or is told the empty form is no
    # role); a member may not (403); another account's admin finds no such member (404).
    "member_remove": row(302, 403, 302, 404, 403, 403, 403),
    "member_role": row(302, 403, 400, 404, 403, 403, 403),
    "step_status": row(302, 400, 400, 404, 400, 404, 400),
    "step_assign": row(302, 404, 302, 404, 302, 404, 302),
    "step_reschedule": row(302, 403, 403, 403, 302, 404, 302),
    "account_note_add": row(302, 403, 403, 403, 302, 404, 302),
    "success_goal_add": row(302, 403, 403, 403, 302, 404, 302),
    "success_goal_status": row(302, 403, 403, 403, 302, 404, 302),
    "milestone_feedback": row(302, 302, 302, 404, 302, 404, 302),
    "account_value_create": row(302, 403, 403, 403, 302, 404, 302),
    # An empty correction or deletion is answered with the form's errors (200) once past the scoping.
    "value_record_delete": row(302, 403, 200, 404, 403, 403, 403),
    "account_value_record_delete": row(302, 403, 403, 403, 200, 404, 200),
    "journey_start": row(302, 403, 403, 403, 302, 404, 302),
    "report_refresh": row(302, 403, 403, 403, 403, 403, 302),
    "faq:vote": same(400),  # an empty vote is bad input for everyone who may read the article
}

# The Django admin is for admins only: everyone else is sent to its sign-in page.
# What an admin gets depends on the sample object (a change page of a missing id
# redirects, read-only models answer 403 to "add"); REACHABLE means "anything but
# an error or the sign-in page".
REACHABLE = -1
ADMIN_DEFAULT = row(302, 302, 302, 302, 302, 302, REACHABLE)
ADMIN_EXCEPTIONS: dict[str, dict[str, int]] = {
    "admin:login": row(200, 200, 200, 200, 200, 200, 302),
    "admin:logout": row(302, 302, 302, 302, 302, 302, 405),
}


SAMPLES = {
    "slug": "alpha",
    "token": INVITE_TOKEN,
    "pk": None,  # filled per URL: see PK_OF
    "uidb64": "MQ",
    "app_label": "portal",
    "object_id": "1",
    "revision_id": "1",
    "id": "1",
    "content_type_id": "1",
    "url": "no-such-page/",
    "language": "ja",
    "path": "faq/no-such-file.png",
    "table": "stalled",  # a table of the help-centre analytics page
}


# Path parameters a caller of ``concrete`` may leave out: a step of the ``journey_a`` fixture, and
# an account's id in the CRM.
DEFAULT_SAMPLES = {"key": "connect", "external_id": "crm-001"}


def concrete(route: str, samples: dict[str, str]) -> str:
    """Turn a route (path converters or admin regexes) into a URL with sample values."""
    samples = {**DEFAULT_SAMPLES, **samples}
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: samples[m.group(1)], route)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: samples[m.group(1)], path)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    return "/" + path


def expected_for(name: str) -> dict[str, int] | None:
    if name.startswith("admin:"):
        return ADMIN_EXCEPTIONS.get(name, ADMIN_DEFAULT)
    return EXPECTED.get(name)


def test_post_only_urls_are_posted_to() -> None:
    post_only = {name for name, codes in EXPECTED.items() if set(codes.values()) == {405}}
    assert post_only == set(POST_EXPECTED), "every POST-only URL needs a row in POST_EXPECTED"


def test_every_url_is_in_the_table() -> None:
    missing = [name for name, _route in all_urls() if expected_for(name) is None]
    assert missing == [], f"URLs with no entry in the access table: {missing}"
    stale = sorted(set(EXPECTED) - {name for name, _ in all_urls()})
    assert stale == [], f"entries for URLs that no longer exist: {stale}"


@pytest.mark.django_db
def test_role_url_matrix(world: World, journey_a) -> None:
    invitation = InvitationFactory(account=world.account_a, token=INVITE_TOKEN, invited_by=world.customer_admin_a)
    category = CategoryFactory(slug="alpha")
    ArticleFactory(category=category, slug="alpha", visibility="public")
    customers_only = ArticleFactory(category=category, slug="for-customers", visibility="customers")
    goal = SuccessGoalFactory(account=world.account_a)
    leaving = MembershipFactory(account=world.account_a, user__email="leaving@alpha.example")
    colleague = MembershipFactory(account=world.account_a, user__email="colleague@alpha.example")
    note = AccountNoteFactory(account=world.account_a, author=world.csm_a)
    record = value_record_create(
        account=world.account_a, amount=Decimal(1000), occurred_on=date(2026, 1, 5), note="", by=world.csm_a
    )
    inquiry = inquiry_create(
        account=world.account_a, author=world.customer_a, subject="Import", body="Fails.",
        attachments=[(SimpleUploadedFile("log.txt", b"log"), "text/plain")],
    )  # fmt: skip
    attempt = attempt_start(account=world.account_a, user=world.customer_a)
    token = token_create(owner=world.customer_a, name="Customer A's tool", scopes=["profile:read"])[0]
    account_import = import_create(file_name="crm.csv", data=b"Account Name\nAlpha KK\n", by=world.admin)
    pk_of = {
        "token_revoke": token.pk,
        **dict.fromkeys(["import_detail", "import_errors", "import_run", "import_rollback"], account_import.pk),
        **dict.fromkeys(
            ["api_import_detail", "api_import_errors", "api_import_check", "api_import_run", "api_import_rollback"],
            account_import.pk,
        ),
        **dict.fromkeys(
            ["value_record", "value_record_delete", "account_value_record", "account_value_record_delete"], record.pk
        ),
        "invitation_revoke": invitation.pk,
        "invitation_resend": invitation.pk,
        "member_remove": leaving.pk,
        "member_role": colleague.pk,
        "account_note_edit": note.pk,
        "step_status": journey_a.step_states.get(step_key="connect").pk,
        "step_assign": journey_a.step_states.get(step_key="connect").pk,
        "step_reschedule": journey_a.step_states.get(step_key="connect").pk,
        "success_goal_status": goal.pk,
        "milestone_feedback": journey_a.achievements.get().pk,
        "faq:short": customers_only.pk,
        "faq:qr": customers_only.pk,
        "api_article_detail": customers_only.pk,
        "support:inquiry": inquiry.pk,
        **dict.fromkeys(
            ["api_inquiry_detail", "api_inquiry_replies", "api_desk_inquiry_detail", "api_desk_inquiry_replies"],
            inquiry.pk,
        ),
        "support:desk_inquiry": inquiry.pk,
        "support:desk_status": inquiry.pk,
        "support:attachment": inquiry.messages.get().attachments.get().pk,
    }
    users = {
        "anon": None,
        "customer_a": world.customer_a,
        "customer_admin_a": world.customer_admin_a,
        "customer_b": world.customer_b,
        "csm_a": world.csm_a,
        "csm_b": world.csm_b,
        "admin": world.admin,
    }
    clients = {}
    for role, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client

    mismatches = []
    checked = 0
    for name, route in all_urls():
        url = concrete(
            route,
            {**SAMPLES, "pk": str(pk_of.get(name, 0)), "attempt": str(attempt.pk), "article": str(customers_only.pk)},
        )
        expected = expected_for(name)
        for role in ROLES:
            response = clients[role].get(url)
            status = response.status_code
            checked += 1
            if expected[role] == REACHABLE:
                if status >= 500 or (status == 302 and "/login/" in response["Location"]) or status == 401:
                    mismatches.append(f"{name} {url} as {role}: got {status}, expected the page")
            elif status != expected[role]:
                mismatches.append(f"{name} {url} as {role}: got {status}, expected {expected[role]}")
            elif role == "anon" and status == 302 and not response["Location"].startswith(("/login/", "/admin/")):
                mismatches.append(f"{name} {url} as anon: redirected to {response['Location']}, not to sign in")
        for role in ROLES if name in POST_EXPECTED else []:
            poster = Client()  # a fresh session each time: one of these POSTs signs out
            if users[role] is not None:
                poster.force_login(users[role])
            status = poster.post(url, {}).status_code
            checked += 1
            if status != POST_EXPECTED[name][role]:
                mismatches.append(f"POST {name} {url} as {role}: got {status}, expected {POST_EXPECTED[name][role]}")
    assert checked > 100
    assert mismatches == [], "\n".join(mismatches)
