"""Team changes: removing members, changing roles, sending invitations again, and the record of each."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation

from journeys.onboarding.models import StepEvent
from portal import services
from portal.models import Invitation, Membership, MembershipEvent, User
from portal.services import token_hash
from tests.conftest import World
from tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The services' messages are read in English."""
    with translation.override("en"):
        yield


def membership(user: User) -> Membership:
    return Membership.objects.get(user=user)


class TestRemove:
    def test_the_membership_ends_and_the_history_they_made_stays(self, world: World, journey_a) -> None:
        # journey_a: customer_a ticked the first step.
        ticked = StepEvent.objects.filter(actor=world.customer_a)
        assert ticked.count() == 1

        event = services.membership_remove(membership=membership(world.customer_a), by=world.customer_admin_a)

        assert not Membership.objects.filter(user=world.customer_a).exists()
        world.customer_a.refresh_from_db()
        assert world.customer_a.is_active is False, "the login is switched off, not deleted"
        assert ticked.count() == 1 and ticked.get().actor == world.customer_a
        assert (event.kind, event.account, event.user, event.email, event.from_role, event.actor) == (
            MembershipEvent.Kind.REMOVED,
            world.account_a,
            world.customer_a,
            world.customer_a.email,
            Membership.Role.MEMBER,
            world.customer_admin_a,
        )
        assert event.name == world.customer_a.name and event.actor_name == world.customer_admin_a.get_full_name()

    def test_a_removed_person_can_no_longer_see_the_account(self, world: World) -> None:
        client = Client()
        client.force_login(world.customer_a)
        assert client.get("/app/").status_code == 200
        services.membership_remove(membership=membership(world.customer_a), by=world.customer_admin_a)
        response = client.get("/app/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client.get("/api/v1/accounts/alpha/").status_code in (401, 403)

    def test_the_last_customer_admin_cannot_be_removed_even_by_themselves(self, world: World) -> None:
        for by in (world.customer_admin_a, world.csm_a):
            with pytest.raises(services.LastAdminError, match="only customer admin"):
                services.membership_remove(membership=membership(world.customer_admin_a), by=by)
        assert membership(world.customer_admin_a).is_admin
        assert not MembershipEvent.objects.exists()

    def test_an_admin_may_leave_when_another_admin_stays(self, world: World) -> None:
        other = MembershipFactory(account=world.account_a, role=Membership.Role.ADMIN).user
        services.membership_remove(membership=membership(world.customer_admin_a), by=world.customer_admin_a)
        assert list(Membership.objects.filter(account=world.account_a, role=Membership.Role.ADMIN)) == [
            membership(other)
        ]
        with pytest.raises(services.LastAdminError):
            services.membership_remove(membership=membership(other), by=other)

    def test_members_and_other_accounts_may_not(self, world: World) -> None:
        colleague = MembershipFactory(account=world.account_a)
        for by in (world.customer_a, world.customer_b, world.csm_b):
            with pytest.raises(PermissionDenied):
                services.membership_remove(membership=colleague, by=by)
        assert Membership.objects.filter(pk=colleague.pk).exists()

    def test_removing_twice_is_an_error_not_a_crash(self, world: World) -> None:
        stale = membership(world.customer_a)
        services.membership_remove(membership=stale, by=world.customer_admin_a)
        with pytest.raises(ValidationError, match="no longer a member"):
            services.membership_remove(membership=stale, by=world.customer_admin_a)
        assert MembershipEvent.objects.count() == 1


class TestRole:
    def test_a_member_becomes_admin_and_back_each_change_recorded(self, world: World) -> None:
        services.membership_set_role(
            membership=membership(world.customer_a), role=Membership.Role.ADMIN, by=world.customer_admin_a
        )
        assert membership(world.customer_a).is_admin
        # Now there are two admins: the first one may step down.
        services.membership_set_role(
            membership=membership(world.customer_admin_a), role=Membership.Role.MEMBER, by=world.customer_admin_a
        )
        assert not membership(world.customer_admin_a).is_admin
        changes = list(MembershipEvent.objects.order_by("id").values_list("user__email", "from_role", "to_role"))
        assert changes == [
            (world.customer_a.email, Membership.Role.MEMBER, Membership.Role.ADMIN),
            (world.customer_admin_a.email, Membership.Role.ADMIN, Membership.Role.MEMBER),
        ]

    def test_the_last_admin_cannot_be_demoted(self, world: World) -> None:
        with pytest.raises(services.LastAdminError):
            services.membership_set_role(
                membership=membership(world.customer_admin_a), role=Membership.Role.MEMBER, by=world.customer_admin_a
            )
        assert membership(world.customer_admin_a).is_admin
        assert not MembershipEvent.objects.exists()

    def test_the_same_role_changes_nothing(self, world: World) -> None:
        result = services.membership_set_role(
            membership=membership(world.customer_a), role=Membership.Role.MEMBER, by=world.customer_admin_a
        )
        assert result is None
        assert not MembershipEvent.objects.exists()

    def test_an_unknown_role_is_a_field_error(self, world: World) -> None:
        with pytest.raises(ValidationError) as error:
            services.membership_set_role(membership=membership(world.customer_a), role="owner", by=world.admin)
        assert "role" in error.value.message_dict

    def test_a_member_may_not_promote_themselves(self, world: World) -> None:
        with pytest.raises(PermissionDenied):
            services.membership_set_role(
                membership=membership(world.customer_a), role=Membership.Role.ADMIN, by=world.customer_a
            )
        assert not membership(world.customer_a).is_admin


class TestResend:
    def test_a_new_link_is_mailed_and_the_old_one_stops_working(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        old = InvitationFactory(account=world.account_a, email="late@alpha.example", token="tok-old")
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            issued = services.invitation_resend(invitation=old, by=world.customer_admin_a)
        assert len(callbacks) == 1, "sent the way invitations are sent: once, on commit"
        old.refresh_from_db()
        assert old.revoked_at is not None
        new = issued.invitation
        assert new.is_open and new.token_hash == token_hash(issued.token) != old.token_hash
        assert (new.email, new.role, new.invited_by) == (old.email, old.role, world.customer_admin_a)
        assert new.expires_at > timezone.now() + timedelta(days=6)
        (message,) = mail.outbox
        assert message.to == ["late@alpha.example"] and issued.token in message.body
        new.refresh_from_db()
        assert new.email_sent_at is not None
        client = Client()
        assert client.get("/invite/tok-old/").status_code == 410
        assert client.get(re.search(r"/invite/\S+/", message.body).group(0)).status_code == 200
        event = MembershipEvent.objects.get()
        assert (event.kind, event.email, event.actor) == (
            MembershipEvent.Kind.INVITATION_RESENT,
            "late@alpha.example",
            world.customer_admin_a,
        )

    def test_an_expired_invitation_can_be_sent_again(self, world: World) -> None:
        expired = InvitationFactory(account=world.account_a, expires_at=timezone.now() - timedelta(days=2))
        assert services.invitation_resend(invitation=expired, by=world.csm_a).invitation.is_open

    def test_an_accepted_or_withdrawn_invitation_is_not_sent_again(self, world: World) -> None:
        accepted = InvitationFactory(account=world.account_a, accepted_at=timezone.now())
        withdrawn = InvitationFactory(account=world.account_a, revoked_at=timezone.now())
        for invitation in (accepted, withdrawn):
            with pytest.raises(ValidationError, match="already accepted or withdrawn"):
                services.invitation_resend(invitation=invitation, by=world.customer_admin_a)
        assert Invitation.objects.count() == 2

    def test_members_and_other_accounts_may_not(self, world: World) -> None:
        invitation = InvitationFactory(account=world.account_a)
        for by in (world.customer_a, world.customer_b, world.csm_b):
            with pytest.raises(PermissionDenied):
                services.invitation_resend(invitation=invitation, by=by)
        invitation.refresh_from_db()
        assert invitation.revoked_at is None

    def test_withdrawing_is_recorded_once(self, world: World) -> None:
        invitation = InvitationFactory(account=world.account_a)
        services.invitation_revoke(invitation=invitation, by=world.customer_admin_a)
        services.invitation_revoke(invitation=invitation, by=world.customer_admin_a)
        assert list(MembershipEvent.objects.values_list("kind", "email")) == [
            (MembershipEvent.Kind.INVITATION_WITHDRAWN, invitation.email)
        ]


class TestInvitingARemovedPersonAgain:
    def test_they_come_back_as_the_same_login_with_their_history(self, world: World, journey_a) -> None:
        services.membership_remove(membership=membership(world.customer_a), by=world.customer_admin_a)
        issued = services.invitation_create(
            account=world.account_a, email=world.customer_a.email, role=Membership.Role.MEMBER, invited_by=world.admin
        )
        user = services.invitation_accept(token=issued.token, name="Back Again", password="long-enough-pass")
        assert user.pk == world.customer_a.pk
        assert user.is_active and user.name == "Back Again"
        assert membership(user).account == world.account_a
        assert StepEvent.objects.filter(actor=user).count() == 1

    def test_a_login_that_is_still_in_use_cannot_be_invited(self, world: World) -> None:
        with pytest.raises(ValidationError) as error:
            services.invitation_create(
                account=world.account_a,
                email=world.customer_b.email,
                role=Membership.Role.MEMBER,
                invited_by=world.customer_admin_a,
            )
        assert "another organisation" in str(error.value.message_dict["email"])
