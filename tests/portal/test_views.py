"""The team page: a customer admin removes members, changes roles and sends invitations again; members
may not; another account's people are as missing as people who do not exist."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from portal.models import Invitation, Membership, MembershipEvent
from tests.conftest import World, signed_in
from tests.factories import InvitationFactory, MembershipEventFactory, MembershipFactory
from tests.portal.test_tenancy import page_text
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def member_of(world: World, email: str = "colleague@alpha.example", **kwargs) -> Membership:
    return MembershipFactory(account=world.account_a, user__email=email, user__name="Colleague", **kwargs)


class TestRemove:
    def test_a_customer_admin_removes_a_member_and_the_page_says_who_and_when(self, world: World) -> None:
        colleague = member_of(world)
        client = signed_in(world.customer_admin_a)
        response = client.post(f"/app/team/members/{colleague.pk}/remove/")
        assert response.status_code == 302 and response["Location"] == "/app/team/"
        page = client.get("/app/team/")
        text = page.content.decode()
        assert "Colleague was removed from the team." in text
        assert "colleague@alpha.example" not in [m.user.email for m in page.context["members"]]
        (change,) = page.context["history"]
        assert change.kind == MembershipEvent.Kind.REMOVED
        assert f"Colleague removed by {world.customer_admin_a.get_full_name()} on" in text

    def test_removing_asks_first_and_is_a_post_with_csrf(self, world: World) -> None:
        colleague = member_of(world)
        client = signed_in(world.customer_admin_a)
        text = client.get("/app/team/").content.decode()
        assert 'class="confirm"' in text and "Yes, remove Colleague" in text
        assert client.get(f"/app/team/members/{colleague.pk}/remove/").status_code == 405
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(world.customer_admin_a)
        assert strict.post(f"/app/team/members/{colleague.pk}/remove/").status_code == 403
        assert Membership.objects.filter(pk=colleague.pk).exists()

    def test_the_last_admin_is_refused_on_the_page(self, world: World) -> None:
        me = Membership.objects.get(user=world.customer_admin_a)
        client = signed_in(world.customer_admin_a)
        page = client.get("/app/team/").content.decode()
        assert "The only customer admin" in page
        assert f"/app/team/members/{me.pk}/remove/" not in page, "no button for what would be refused"

        response = client.post(f"/app/team/members/{me.pk}/remove/")
        assert response.status_code == 400
        assert "is the only customer admin of the account" in response.context["member_error"]
        assert 'role="alert"' in response.content.decode()
        assert Membership.objects.filter(pk=me.pk).exists()

    def test_an_admin_who_leaves_is_signed_out(self, world: World) -> None:
        member_of(world, role=Membership.Role.ADMIN)
        me = Membership.objects.get(user=world.customer_admin_a)
        client = signed_in(world.customer_admin_a)
        response = client.post(f"/app/team/members/{me.pk}/remove/")
        assert response.status_code == 302 and response["Location"] == "/login/"
        assert client.get("/app/").status_code == 302
        assert not Membership.objects.filter(user=world.customer_admin_a).exists()


class TestRole:
    def test_promote_then_demote_through_the_page(self, world: World) -> None:
        colleague = member_of(world)
        client = signed_in(world.customer_admin_a)
        url = f"/app/team/members/{colleague.pk}/role/"
        assert client.post(url, {"role": Membership.Role.ADMIN}).status_code == 302
        colleague.refresh_from_db()
        assert colleague.is_admin
        page = client.get("/app/team/").content.decode()
        assert "Colleague is now a customer admin." in page
        assert "Colleague changed from Customer member to Customer admin by" in page
        assert client.post(url, {"role": Membership.Role.MEMBER}).status_code == 302
        colleague.refresh_from_db()
        assert not colleague.is_admin
        assert MembershipEvent.objects.count() == 2

    def test_a_bad_role_is_an_error_on_the_page(self, world: World) -> None:
        colleague = member_of(world)
        response = signed_in(world.customer_admin_a).post(f"/app/team/members/{colleague.pk}/role/", {"role": "boss"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.context["member_error"]
        assert response.context["error_member"] == colleague.pk
        colleague.refresh_from_db()
        assert not colleague.is_admin

    def test_the_last_admin_cannot_step_down(self, world: World) -> None:
        me = Membership.objects.get(user=world.customer_admin_a)
        response = signed_in(world.customer_admin_a).post(
            f"/app/team/members/{me.pk}/role/", {"role": Membership.Role.MEMBER}
        )
        assert response.status_code == 400
        assert "Make someone else a customer admin first" in response.content.decode()
        me.refresh_from_db()
        assert me.is_admin


class TestWhoMay:
    @pytest.mark.parametrize("action", ["remove", "role"])
    def test_a_member_gets_403(self, world: World, action: str) -> None:
        colleague = member_of(world)
        client = signed_in(world.customer_a)
        assert client.post(f"/app/team/members/{colleague.pk}/{action}/", {"role": "customer_admin"}).status_code == 403
        assert client.post(f"/app/team/members/999999/{action}/", {"role": "customer_admin"}).status_code == 403
        colleague.refresh_from_db()
        assert not colleague.is_admin

    @pytest.mark.parametrize("action", ["remove", "role"])
    def test_another_accounts_member_answers_like_a_missing_one(self, world: World, action: str) -> None:
        theirs = Membership.objects.get(user=world.customer_b)
        client = signed_in(world.customer_admin_a)
        foreign = client.post(f"/app/team/members/{theirs.pk}/{action}/", {"role": "customer_member"})
        missing = client.post(f"/app/team/members/999999/{action}/", {"role": "customer_member"})
        assert foreign.status_code == missing.status_code == 404
        assert page_text(foreign) == page_text(missing)
        theirs.refresh_from_db()
        assert theirs.is_admin
        assert not MembershipEvent.objects.exists()

    def test_staff_have_no_team_page_actions(self, world: World) -> None:
        colleague = member_of(world)
        assert signed_in(world.csm_a).post(f"/app/team/members/{colleague.pk}/remove/").status_code == 403
        assert Membership.objects.filter(pk=colleague.pk).exists()

    def test_members_see_the_team_but_no_changes_or_history(self, world: World) -> None:
        MembershipEventFactory(account=world.account_a, email="secret-invitee@alpha.example")
        page = signed_in(world.customer_a).get("/app/team/")
        text = page.content.decode()
        assert page.context["can_manage"] is False
        assert "/remove/" not in text and "/role/" not in text and "secret-invitee" not in text


class TestResend:
    def test_the_admin_sends_again_from_the_page(self, world: World, django_capture_on_commit_callbacks) -> None:
        invitation = InvitationFactory(account=world.account_a, email="late@alpha.example")
        client = signed_in(world.customer_admin_a)
        assert f"/invitations/{invitation.pk}/resend/" in client.get("/app/team/").content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/invitations/{invitation.pk}/resend/")
        assert response.status_code == 302 and response["Location"] == "/app/team/"
        assert [m.to for m in mail.outbox] == [["late@alpha.example"]]
        page = client.get("/app/team/").content.decode()
        assert "A new invitation link was sent to late@alpha.example." in page
        assert "Invitation to late@alpha.example sent again by" in page

    def test_a_csm_sends_again_from_the_account_page(self, world: World) -> None:
        invitation = InvitationFactory(account=world.account_a)
        response = signed_in(world.csm_a).post(f"/invitations/{invitation.pk}/resend/")
        assert response.status_code == 302 and response["Location"] == "/accounts/alpha/"
        assert Invitation.objects.filter(email=invitation.email, revoked_at=None).exclude(pk=invitation.pk).exists()

    def test_a_member_gets_403_and_another_account_404(self, world: World) -> None:
        mine = InvitationFactory(account=world.account_a)
        theirs = InvitationFactory(account=world.account_b)
        assert signed_in(world.customer_a).post(f"/invitations/{mine.pk}/resend/").status_code == 403
        client = signed_in(world.customer_admin_a)
        foreign = client.post(f"/invitations/{theirs.pk}/resend/")
        missing = client.post("/invitations/999999/resend/")
        assert foreign.status_code == missing.status_code == 404
        assert page_text(foreign) == page_text(missing)
        assert Invitation.objects.filter(revoked_at__isnull=False).count() == 0

    def test_an_invitation_already_answered_is_explained(self, world: World) -> None:
        invitation = InvitationFactory(account=world.account_a)
        client = signed_in(world.customer_admin_a)
        client.post(f"/invitations/{invitation.pk}/revoke/")
        response = client.post(f"/invitations/{invitation.pk}/resend/", follow=True)
        assert "already accepted or withdrawn" in response.content.decode()


def test_the_team_page_runs_the_same_queries_for_one_member_and_many(world: World) -> None:
    client = signed_in(world.customer_admin_a)
    client.get("/app/team/")  # the session and the language are settled
    with capture_queries() as few:
        assert client.get("/app/team/").status_code == 200
    for i in range(15):
        MembershipFactory(account=world.account_a, role=Membership.Role.ADMIN if i % 3 else Membership.Role.MEMBER)
        InvitationFactory(account=world.account_a, invited_by=world.customer_admin_a)
        MembershipEventFactory(account=world.account_a, kind=MembershipEvent.Kind.REMOVED)
    with capture_queries() as many:
        page = client.get("/app/team/")
    assert len(page.context["members"]) == 17 and len(page.context["history"]) == 15
    # The membership and the account come with the user; the session is cached.
    assert_same_queries(few, many, expected=4)
