"""Sign-in, lockout, password reset, invitations, profile and the language switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.auth_backends import AccountModelBackend
from portal.models import Invitation, Membership, User
from tests.conftest import World
from tests.factories import TEST_PASSWORD, InvitationFactory

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str, password: str):
    return client.post("/login/", {"username": email, "password": password})


def link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


class TestSignIn:
    def test_right_password_signs_in_and_lands_on_the_role_home(self, client: Client, world: World) -> None:
        response = sign_in(client, "CSM-A@kachi.example", TEST_PASSWORD)
        assert response.status_code == 302
        assert client.get("/", follow=True).redirect_chain[-1][0] == "/portfolio/"

    def test_an_address_too_long_for_any_login_is_a_field_error(self, client: Client, world: World) -> None:
        response = sign_in(client, "a" * 300 + "@alpha.example", "not-the-password")
        assert response.status_code == 200
        (error,) = response.context["form"].errors["username"]
        assert "254" in error and "314" in error  # at most 254 characters, it has 314 (in the page's language)

    def test_wrong_password_shows_the_error_on_the_page(self, client: Client, world: World) -> None:
        response = sign_in(client, world.csm_a.email, "not-the-password")
        assert response.status_code == 200
        assert "The e-mail address or password is not right" in response.content.decode() or "正しくありません" in (
            response.content.decode()
        )
        assert "_auth_user_id" not in client.session

    def test_five_failures_lock_the_address_out_with_a_clear_message(self, client: Client, world: World) -> None:
        for _ in range(5):
            sign_in(client, world.csm_a.email, "wrong-password")
        response = sign_in(client, world.csm_a.email, TEST_PASSWORD)
        assert response.status_code == 429
        assert "registration/locked_out.html" in [t.name for t in response.templates]
        assert "_auth_user_id" not in client.session
        # Another address from the same place is not locked.
        assert sign_in(client, world.csm_b.email, TEST_PASSWORD).status_code == 302

    def test_a_success_resets_the_failure_count(self, client: Client, world: World) -> None:
        for _ in range(4):
            sign_in(client, world.csm_a.email, "wrong-password")
        assert sign_in(client, world.csm_a.email, TEST_PASSWORD).status_code == 302
        client.post("/logout/")
        for _ in range(4):
            sign_in(client, world.csm_a.email, "wrong-password")
        assert sign_in(client, world.csm_a.email, TEST_PASSWORD).status_code == 302

    def test_logout_is_a_post(self, client: Client, world: World) -> None:
        client.force_login(world.csm_a)
        assert client.post("/logout/").status_code == 302
        assert client.get("/portfolio/").status_code == 302


class TestPasswordReset:
    def test_reset_by_email_then_sign_in_with_the_new_password(self, client: Client, world: World) -> None:
        response = client.post("/password/reset/", {"email": world.customer_a.email})
        assert response.status_code == 302
        assert len(mail.outbox) == 1
        confirm = client.get(link_in(mail.outbox[0]), follow=True)
        assert confirm.context["validlink"] is True
        form_url = confirm.redirect_chain[-1][0]
        done = client.post(form_url, {"new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"})
        assert done.status_code == 302
        assert sign_in(Client(), world.customer_a.email, "a-brand-new-secret").status_code == 302

    def test_unknown_address_sends_nothing_and_says_the_same(self, client: Client, world: World) -> None:
        response = client.post("/password/reset/", {"email": "nobody@nowhere.example"})
        assert response.status_code == 302
        assert mail.outbox == []

    def test_a_used_link_no_longer_works(self, client: Client, world: World) -> None:
        client.post("/password/reset/", {"email": world.customer_a.email})
        link = link_in(mail.outbox[0])
        form_url = client.get(link, follow=True).redirect_chain[-1][0]
        client.post(form_url, {"new_password1": "a-brand-new-secret", "new_password2": "a-brand-new-secret"})
        again = client.get(link, follow=True)
        assert again.context["validlink"] is False


class TestInvitations:
    def test_an_address_too_long_to_invite_is_a_field_error(self, client: Client, world: World) -> None:
        client.force_login(world.customer_admin_a)
        long_address = "a" * 300 + "@alpha.example"
        for url in ("/app/team/", None):
            if url is None:
                client.force_login(world.csm_a)
                url = f"/accounts/{world.account_a.slug}/"
            response = client.post(url, {"email": long_address, "role": "customer_member"})
            assert response.status_code == 200, url
            assert "email" in response.context["form"].errors, url
        assert not Invitation.objects.exists()

    def test_customer_admin_invites_and_the_invitee_joins(
        self, client: Client, world: World, django_capture_on_commit_callbacks
    ) -> None:
        client.force_login(world.customer_admin_a)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = client.post("/app/team/", {"email": "New.Person@Alpha.example", "role": "customer_member"})
        assert response.status_code == 302
        assert len(callbacks) == 1, "the e-mail is enqueued once, on commit"
        invitation = Invitation.objects.get(email="new.person@alpha.example")
        assert invitation.account == world.account_a
        assert invitation.email_sent_at is not None
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["new.person@alpha.example"]
        assert message.alternatives, "the invitation has an HTML part besides the text"
        accept_url = link_in(message)
        assert invitation.token_hash not in accept_url  # only the hash is stored, the link carries the token

        newcomer = Client()
        page = newcomer.get(accept_url)
        assert page.status_code == 200
        joined = newcomer.post(
            accept_url, {"name": "新人 太郎", "password1": "long-enough-pass", "password2": "long-enough-pass"}
        )
        assert joined.status_code == 302
        user = User.objects.get(email="new.person@alpha.example")
        assert user.membership.account == world.account_a
        assert user.membership.role == Membership.Role.MEMBER
        assert newcomer.get("/app/").context["account"] == world.account_a

    def test_a_link_works_once(self, client: Client, world: World) -> None:
        InvitationFactory(account=world.account_a, email="once@alpha.example", token="tok-once")
        data = {"name": "Once", "password1": "long-enough-pass", "password2": "long-enough-pass"}
        assert client.post("/invite/tok-once/", data).status_code == 302
        second = Client().post(
            "/invite/tok-once/", {**data, "password1": "other-long-pass", "password2": "other-long-pass"}
        )
        assert second.status_code == 410
        assert User.objects.filter(email="once@alpha.example").count() == 1

    def test_an_expired_link_is_refused(self, client: Client, world: World) -> None:
        InvitationFactory(account=world.account_a, token="tok-old", expires_at=timezone.now() - timedelta(minutes=1))
        assert client.get("/invite/tok-old/").status_code == 410
        response = client.post(
            "/invite/tok-old/", {"name": "Late", "password1": "long-enough-pass", "password2": "long-enough-pass"}
        )
        assert response.status_code == 410
        assert not Membership.objects.filter(user__name="Late").exists()

    def test_an_unknown_token_is_a_404(self, client: Client, world: World) -> None:
        assert client.get("/invite/no-such-token/").status_code == 404

    def test_weak_or_mismatched_passwords_are_shown_and_nothing_is_created(self, client: Client, world: World) -> None:
        InvitationFactory(account=world.account_a, email="weak@alpha.example", token="tok-weak")
        weak = client.post("/invite/tok-weak/", {"name": "Weak", "password1": "12345678", "password2": "12345678"})
        assert weak.status_code == 200
        assert weak.context["form"].errors["password1"]
        mismatch = client.post(
            "/invite/tok-weak/", {"name": "Weak", "password1": "long-enough-pass", "password2": "long-enough-pazz"}
        )
        assert mismatch.context["form"].errors["password2"]
        assert not User.objects.filter(email="weak@alpha.example").exists()
        assert Invitation.objects.get(email="weak@alpha.example").accepted_at is None

    def test_a_customer_member_cannot_invite(self, client: Client, world: World) -> None:
        client.force_login(world.customer_a)
        assert client.get("/app/team/").context["form"] is None
        assert client.post("/app/team/", {"email": "x@alpha.example", "role": "customer_admin"}).status_code == 403
        assert not Invitation.objects.exists()

    def test_csm_invites_to_an_assigned_account_only(self, client: Client, world: World) -> None:
        client.force_login(world.csm_a)
        ok = client.post("/accounts/alpha/", {"email": "lead@alpha.example", "role": "customer_admin"})
        assert ok.status_code == 302
        assert (
            client.post("/accounts/beta/", {"email": "lead@beta.example", "role": "customer_admin"}).status_code == 404
        )
        assert list(Invitation.objects.values_list("email", flat=True)) == ["lead@alpha.example"]

    def test_inviting_an_existing_member_is_a_form_error(self, client: Client, world: World) -> None:
        client.force_login(world.customer_admin_a)
        response = client.post("/app/team/", {"email": world.customer_a.email, "role": "customer_member"})
        assert response.status_code == 200
        assert response.context["form"].errors["email"]

    def test_inviting_again_replaces_the_open_invitation(
        self, client: Client, world: World, django_capture_on_commit_callbacks
    ) -> None:
        client.force_login(world.customer_admin_a)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/app/team/", {"email": "twice@alpha.example", "role": "customer_member"})
        first_link = link_in(mail.outbox[0])
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/app/team/", {"email": "twice@alpha.example", "role": "customer_admin"})
        assert Client().get(first_link).status_code == 410
        assert Client().get(link_in(mail.outbox[1])).status_code == 200

    def test_withdrawing_an_invitation_is_scoped_to_the_tenant(self, client: Client, world: World) -> None:
        theirs = InvitationFactory(account=world.account_b, token="tok-b")
        mine = InvitationFactory(account=world.account_a, token="tok-a")
        client.force_login(world.customer_admin_a)
        assert client.post(f"/invitations/{theirs.pk}/revoke/").status_code == 404
        assert client.post("/invitations/999999/revoke/").status_code == 404
        assert client.post(f"/invitations/{mine.pk}/revoke/").status_code == 302
        theirs.refresh_from_db()
        mine.refresh_from_db()
        assert theirs.revoked_at is None
        assert mine.revoked_at is not None


class TestProfileAndLanguage:
    def test_language_switch_for_a_visitor(self, client: Client) -> None:
        assert client.get("/login/").headers["Content-Language"] == "ja"
        response = client.post("/language/", {"language": "en", "next": "/login/"})
        assert response.status_code == 302
        assert response["Location"] == "/login/"
        page = client.get("/login/")
        assert page.headers["Content-Language"] == "en"
        assert "Sign in to Kachi" in page.content.decode()

    def test_language_switch_is_remembered_on_the_profile(self, client: Client, world: World) -> None:
        client.force_login(world.csm_a)
        client.post("/language/", {"language": "en", "next": "/portfolio/"})
        world.csm_a.refresh_from_db()
        assert world.csm_a.language == "en"
        fresh = Client()
        fresh.force_login(world.csm_a)
        assert fresh.get("/portfolio/").headers["Content-Language"] == "en"

    def test_japanese_is_the_default_and_is_translated(self, client: Client) -> None:
        page = client.get("/login/").content.decode()
        assert 'lang="ja"' in page
        assert "Sign in to Kachi" not in page

    def test_switcher_never_redirects_off_site(self, client: Client) -> None:
        response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_unknown_language_falls_back_to_japanese(self, client: Client) -> None:
        client.post("/language/", {"language": "xx"})
        assert client.get("/login/").headers["Content-Language"] == "ja"

    def test_profile_saves_language_and_time_zone(self, client: Client, world: World) -> None:
        client.force_login(world.customer_a)
        response = client.post("/profile/", {"name": "Hanako", "language": "en", "time_zone": "Europe/London"})
        assert response.status_code == 302
        world.customer_a.refresh_from_db()
        assert (world.customer_a.name, world.customer_a.language, world.customer_a.time_zone) == (
            "Hanako",
            "en",
            "Europe/London",
        )

    def test_profile_rejects_an_unknown_time_zone_on_the_page(self, client: Client, world: World) -> None:
        client.force_login(world.customer_a)
        response = client.post("/profile/", {"name": "X", "language": "en", "time_zone": "Mars/Olympus"})
        assert response.status_code == 200
        assert response.context["form"].errors["time_zone"]
        world.customer_a.refresh_from_db()
        assert world.customer_a.time_zone == "Asia/Tokyo"

    def test_times_are_shown_in_the_users_time_zone(self, client: Client, world: World) -> None:
        account = world.account_a
        account.contract_start = datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
        account.save(update_fields=["contract_start"])
        client.force_login(world.csm_a)
        tokyo = client.get("/accounts/alpha/").content.decode()
        assert "9:30" in tokyo  # 00:30 UTC is 09:30 in Tokyo
        world.csm_a.time_zone = "America/New_York"
        world.csm_a.save(update_fields=["time_zone"])
        new_york = client.get("/accounts/alpha/").content.decode()
        assert "2026年3月31日" in new_york or "March 31, 2026" in new_york


def test_two_users_cannot_share_an_address_in_different_cases(world) -> None:
    from django.db import IntegrityError, transaction

    from portal.models import User

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="BOSS@alpha.example")
    world.admin.language = "en"
    world.admin.save(update_fields=["language"])
    admin = Client()
    admin.force_login(world.admin)
    page = admin.post(
        "/admin/portal/user/add/",
        {"email": "Boss@Alpha.example", "password1": "a long pass phrase 1", "password2": "a long pass phrase 1"},
    )
    assert page.status_code == 200 and "already exists" in page.content.decode()
    assert User.objects.filter(email__iexact="boss@alpha.example").count() == 1


# --- Reading the signed-in person back -----------------------------------------------------------


def test_a_customer_is_read_back_with_their_membership_and_account_in_one_query(world: World) -> None:
    with CaptureQueriesContext(connection) as captured:
        user = AccountModelBackend().get_user(world.customer_a.pk)
        assert user is not None
        assert user.membership.account.slug == world.account_a.slug
        assert user.membership.account.segment.slug == world.account_a.segment.slug
    assert len(captured) == 1
    staff = AccountModelBackend().get_user(world.csm_a.pk)
    assert staff is not None and not hasattr(staff, "membership")


def test_an_inactive_or_missing_person_is_not_read_back(world: World) -> None:
    User.objects.filter(pk=world.customer_a.pk).update(is_active=False)
    assert AccountModelBackend().get_user(world.customer_a.pk) is None
    assert AccountModelBackend().get_user(987654) is None


def test_a_session_signed_in_through_djangos_own_backend_still_works(world: World) -> None:
    client = Client()
    client.force_login(world.customer_a, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/app/")
    assert page.status_code == 200
    assert page.context["account"] == world.account_a
