"""The accounts API's writes (``portal/api/accounts.py``): create, change, upsert by external ID, and
an account's contacts; tenancy, field errors, hostile bodies and the contacts list's queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.models import Account, ApiScope, Invitation, Membership, User, WebhookDelivery, WebhookEvent
from portal.tokens import token_create
from tests.conftest import World
from tests.factories import InvitationFactory, MembershipFactory, SegmentFactory, WebhookEndpointFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

WRITE = [ApiScope.ACCOUNTS_READ, ApiScope.ACCOUNTS_WRITE]


def bearer(user: User, *, scopes=WRITE, account: Account | None = None) -> Client:
    raw = token_create(owner=user, name="crm", scopes=scopes, account=account)[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(client: Client, method: str, path: str, body: object = None):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def account_row(slug: str) -> dict:
    return Account.objects.filter(slug=slug).values().get()


class TestCreate:
    def test_an_admin_creates_an_account_with_every_field(self, world: World) -> None:
        enterprise = SegmentFactory(name="Enterprise", slug="enterprise")
        response = send(
            bearer(world.admin), "post", "/api/v1/accounts/",
            {
                "name": "Gamma Inc", "external_id": "001xx000003DGb2AAG", "domain": "gamma.example",
                "segment": "enterprise", "plan": "business", "contract_start": "2026-03-01T09:00:00+09:00",
                "investment_amount": "1200000", "csm": "CSM-A@kachi.example", "status": "active",
            },
        )  # fmt: skip
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["slug"] == "gamma-inc"
        assert (body["external_id"], body["domain"], body["segment"]["slug"]) == (
            "001xx000003DGb2AAG", "gamma.example", "enterprise",
        )  # fmt: skip
        assert body["csm"]["email"] == "csm-a@kachi.example"
        assert (body["status"], body["churned_at"], body["investment_amount"]) == ("active", None, "1200000")
        account = Account.objects.get(slug="gamma-inc")
        assert account.segment == enterprise and account.csm == world.csm_a
        assert account.contract_start == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)

    def test_a_japanese_name_gets_an_ascii_slug_and_a_date_alone_is_a_start(self, world: World) -> None:
        client = bearer(world.admin)
        first = send(client, "post", "/api/v1/accounts/", {"name": "株式会社かち", "segment": "smb"})
        second = send(
            client,
            "post",
            "/api/v1/accounts/",
            {"name": "株式会社かち", "segment": "smb", "contract_start": "2026-04-01"},
        )
        assert (first.status_code, second.status_code) == (201, 201)
        assert (first.json()["slug"], second.json()["slug"]) == ("account", "account-2")
        assert second.json()["contract_start"].startswith("2026-04-01T00:00:00")
        by_domain = send(client, "post", "/api/v1/accounts/", {"name": "かち", "segment": "smb", "domain": "kachi.jp"})
        assert by_domain.json()["slug"] == "kachijp"

    def test_an_unknown_csm_or_segment_and_bad_values_are_field_errors(self, world: World) -> None:
        before = Account.objects.count()
        response = send(
            bearer(world.admin), "post", "/api/v1/accounts/",
            {
                "name": "", "slug": "日本", "segment": "nope", "csm": "nobody@kachi.example", "plan": "gold",
                "investment_amount": -1, "contract_start": "yesterday", "status": "asleep",
            },
        )  # fmt: skip
        assert response.status_code == 400
        assert set(response.json()) == {
            "name", "slug", "segment", "csm", "plan", "investment_amount", "contract_start", "status",
        }  # fmt: skip
        assert Account.objects.count() == before

    def test_a_customer_is_no_csm_and_an_external_id_is_unique(self, world: World) -> None:
        client = bearer(world.admin)
        not_csm = send(
            client, "post", "/api/v1/accounts/", {"name": "X", "segment": "smb", "csm": "member@alpha.example"}
        )
        assert not_csm.status_code == 400 and set(not_csm.json()) == {"csm"}
        send(client, "post", "/api/v1/accounts/", {"name": "X", "segment": "smb", "external_id": "crm-1"})
        again = send(client, "post", "/api/v1/accounts/", {"name": "Y", "segment": "smb", "external_id": "crm-1"})
        assert again.status_code == 400 and "external_id" in again.json()
        taken = send(client, "post", "/api/v1/accounts/", {"name": "Y", "segment": "smb", "slug": "alpha"})
        assert taken.status_code == 400 and "slug" in taken.json()

    def test_churned_needs_no_date_and_a_date_needs_churned(self, world: World) -> None:
        client = bearer(world.admin)
        churned = send(client, "post", "/api/v1/accounts/", {"name": "Gone", "segment": "smb", "status": "churned"})
        assert churned.status_code == 201 and churned.json()["churned_at"] is not None
        odd = send(
            client, "post", "/api/v1/accounts/", {"name": "Odd", "segment": "smb", "churned_at": "2026-01-01T00:00:00Z"}
        )
        assert odd.status_code == 400 and "non_field_errors" in odd.json()

    def test_only_admins_create(self, world: World) -> None:
        body = {"name": "Delta", "segment": "smb"}
        assert send(bearer(world.csm_a), "post", "/api/v1/accounts/", body).status_code == 403
        assert send(session(world.customer_admin_a), "post", "/api/v1/accounts/", body).status_code == 403
        one_account = bearer(world.admin, account=world.account_a)
        assert send(one_account, "post", "/api/v1/accounts/", body).status_code == 403
        assert send(session(world.admin), "post", "/api/v1/accounts/", body).status_code == 201
        assert list(Account.objects.filter(name="Delta").values_list("slug", flat=True)) == ["delta"]

    def test_a_token_without_the_write_scope_is_refused(self, world: World) -> None:
        response = send(bearer(world.admin, scopes=[ApiScope.ACCOUNTS_READ]), "post", "/api/v1/accounts/", {})
        assert (response.status_code, response.json()["code"]) == (403, "insufficient_scope")


class TestUpdate:
    def test_an_admin_changes_some_fields(self, world: World) -> None:
        response = send(
            bearer(world.admin), "patch", "/api/v1/accounts/alpha/",
            {"plan": "enterprise", "csm": "csm-b@kachi.example", "domain": "alpha.example"},
        )  # fmt: skip
        assert response.status_code == 200
        assert (response.json()["plan"], response.json()["csm"]["email"]) == ("enterprise", "csm-b@kachi.example")
        world.account_a.refresh_from_db()
        assert (world.account_a.plan, world.account_a.csm, world.account_a.name) == (
            "enterprise",
            world.csm_b,
            "Alpha KK",
        )

    def test_a_csm_changes_their_account_but_does_not_hand_it_away(self, world: World) -> None:
        client = bearer(world.csm_a)
        assert (
            send(client, "patch", "/api/v1/accounts/alpha/", {"investment_amount": 5}).json()["investment_amount"]
            == "5"
        )
        handed = send(client, "patch", "/api/v1/accounts/alpha/", {"csm": "csm-b@kachi.example"})
        dropped = send(client, "patch", "/api/v1/accounts/alpha/", {"csm": None})
        assert (handed.status_code, set(handed.json())) == (400, {"csm"})
        assert (dropped.status_code, set(dropped.json())) == (400, {"csm"})
        assert send(client, "patch", "/api/v1/accounts/alpha/", {"csm": "csm-a@kachi.example"}).status_code == 200
        world.account_a.refresh_from_db()
        assert (world.account_a.csm, world.account_a.investment_amount) == (world.csm_a, Decimal(5))

    def test_another_tenants_account_answers_as_a_missing_one(self, world: World) -> None:
        checks = [
            bearer(world.csm_b),
            bearer(world.admin, account=world.account_b),
        ]
        for client in checks:
            other = send(client, "patch", "/api/v1/accounts/alpha/", {"name": "Taken"})
            missing = send(client, "patch", "/api/v1/accounts/no-such/", {"name": "Taken"})
            assert (other.status_code, other.json()) == (missing.status_code, missing.json())
            assert other.status_code == 404
        assert account_row("alpha")["name"] == "Alpha KK"
        assert (
            send(bearer(world.admin, account=world.account_a), "patch", "/api/v1/accounts/alpha/", {}).status_code
            == 200
        )

    def test_a_customer_is_refused(self, world: World) -> None:
        customer = bearer(world.customer_admin_a, scopes=[ApiScope.ACCOUNTS_READ])
        assert send(customer, "patch", "/api/v1/accounts/alpha/", {"name": "Ours"}).status_code == 403
        assert (
            send(session(world.customer_admin_a), "patch", "/api/v1/accounts/alpha/", {"name": "Ours"}).status_code
            == 403
        )
        with pytest.raises(Exception, match="scopes"):
            token_create(owner=world.customer_admin_a, name="x", scopes=[ApiScope.ACCOUNTS_WRITE])
        assert account_row("alpha")["name"] == "Alpha KK"

    def test_a_refused_change_saves_nothing(self, world: World) -> None:
        before = account_row("alpha")
        response = send(bearer(world.admin), "patch", "/api/v1/accounts/alpha/", {"name": "New", "segment": "nope"})
        assert response.status_code == 400 and set(response.json()) == {"segment"}
        assert account_row("alpha") == before


class TestUpsert:
    @pytest.mark.parametrize("external_id", ["001xx000003DGb2AAG", "123456789", "acme_01-eu.de"])
    def test_the_same_put_twice_creates_once_and_answers_the_same(self, world: World, external_id: str) -> None:
        client = bearer(world.admin)
        body = {"name": "Crm Co", "segment": "smb", "plan": "growth", "contract_start": "2026-02-01T00:00:00Z"}
        path = f"/api/v1/accounts/by-external-id/{external_id}/"
        first = send(client, "put", path, body)
        rows = list(Account.objects.values().order_by("pk"))
        second = send(client, "put", path, body)
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json() == second.json()
        assert first.json()["external_id"] == external_id
        assert list(Account.objects.values().order_by("pk")) == rows

    def test_the_webhooks_hear_a_create_and_a_change_but_not_a_repeat(self, world: World) -> None:
        WebhookEndpointFactory(url="https://crm.example/hook", event_types=WebhookEvent.values)
        client = bearer(world.admin)
        path = "/api/v1/accounts/by-external-id/hs-77/"
        send(client, "put", path, {"name": "Hub Co", "segment": "smb"})
        send(client, "put", path, {"name": "Hub Co", "segment": "smb"})
        send(client, "put", path, {"name": "Hub Co", "segment": "smb", "plan": "growth"})
        deliveries = WebhookDelivery.objects.order_by("pk")
        assert [d.event_type for d in deliveries] == [WebhookEvent.ACCOUNT_CREATED, WebhookEvent.ACCOUNT_UPDATED]
        updated = deliveries.last().payload["data"]
        assert (updated["changed"], updated["account"]["external_id"]) == (["plan"], "hs-77")

    def test_a_put_updates_the_account_with_that_external_id(self, world: World) -> None:
        Account.objects.filter(pk=world.account_a.pk).update(external_id="sf-a")
        response = send(
            bearer(world.admin),
            "put",
            "/api/v1/accounts/by-external-id/sf-a/",
            {"name": "Alpha Renamed", "segment": "smb"},
        )
        assert (response.status_code, response.json()["slug"], response.json()["name"]) == (
            200,
            "alpha",
            "Alpha Renamed",
        )

    def test_a_token_for_one_account_upserts_only_that_one(self, world: World) -> None:
        Account.objects.filter(pk=world.account_b.pk).update(external_id="sf-b")
        Account.objects.filter(pk=world.account_a.pk).update(external_id="sf-a")
        client = bearer(world.admin, account=world.account_a)
        body = {"name": "Mine", "segment": "smb"}
        other = send(client, "put", "/api/v1/accounts/by-external-id/sf-b/", body)
        missing = send(client, "put", "/api/v1/accounts/by-external-id/sf-new/", body)
        assert (other.status_code, other.json()) == (missing.status_code, missing.json()) == (404, missing.json())
        assert send(client, "put", "/api/v1/accounts/by-external-id/sf-a/", body).status_code == 200
        assert (account_row("beta")["name"], Account.objects.count()) == ("Beta KK", 2)

    def test_only_admins_upsert_and_bad_bodies_are_field_errors(self, world: World) -> None:
        assert (
            send(
                bearer(world.csm_a), "put", "/api/v1/accounts/by-external-id/x1/", {"name": "X", "segment": "smb"}
            ).status_code
            == 403
        )
        response = send(
            bearer(world.admin), "put", f"/api/v1/accounts/by-external-id/{'x' * 101}/", {"name": "X", "segment": "smb"}
        )
        assert response.status_code == 400 and set(response.json()) == {"external_id"}
        no_name = send(bearer(world.admin), "put", "/api/v1/accounts/by-external-id/x1/", {"segment": "smb"})
        assert no_name.status_code == 400 and set(no_name.json()) == {"name"}
        assert Account.objects.count() == 2


class TestContacts:
    def test_the_list_shows_members_and_waiting_invitations(self, world: World) -> None:
        InvitationFactory(account=world.account_a, email="later@alpha.example", role=Membership.Role.ADMIN)
        client = bearer(world.csm_a)
        members = client.get("/api/v1/accounts/alpha/contacts/").json()
        assert [(c["email"], c["role"], c["kind"]) for c in members["results"]] == [
            ("member@alpha.example", "customer_member", "member"),
            ("boss@alpha.example", "customer_admin", "member"),
        ]
        assert members["results"][0]["joined"] is not None
        invited = client.get("/api/v1/accounts/alpha/contacts/?kind=invitation").json()["results"]
        assert [(c["email"], c["role"], c["invitation_sent"]) for c in invited] == [
            ("later@alpha.example", "customer_admin", False)
        ]

    def test_the_list_pages_by_cursor(self, world: World) -> None:
        for n in range(3):
            MembershipFactory(account=world.account_a, user__email=f"p{n}@alpha.example")
        client = bearer(world.admin)
        first = client.get("/api/v1/accounts/alpha/contacts/?page_size=3").json()
        second = client.get(first["next"]).json()
        emails = [c["email"] for c in first["results"] + second["results"]]
        assert len(emails) == 5 and len(set(emails)) == 5 and second["next"] is None

    def test_the_list_runs_as_many_queries_for_one_member_as_for_many(self, world: World) -> None:
        client = session(world.admin)  # a token's last use is written once a minute: a query more, at times
        solo = MembershipFactory(account__slug="solo").account
        with capture_queries() as one:
            assert len(client.get(f"/api/v1/accounts/{solo.slug}/contacts/").json()["results"]) == 1
        for n in range(8):
            MembershipFactory(account=solo, user__email=f"m{n}@solo.example")
        with capture_queries() as many:
            assert len(client.get(f"/api/v1/accounts/{solo.slug}/contacts/").json()["results"]) == 9
        assert_same_queries(one, many)

    def test_adding_a_contact_sends_the_invitation(self, world: World, django_capture_on_commit_callbacks) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(
                bearer(world.csm_a), "post", "/api/v1/accounts/alpha/contacts/",
                {"email": "New@Alpha.example", "role": "customer_admin", "name": "新しい人"},
            )  # fmt: skip
        assert response.status_code == 201
        assert (response.json()["email"], response.json()["kind"]) == ("new@alpha.example", "invitation")
        assert [m.to for m in mail.outbox] == [["new@alpha.example"]]
        invitation = Invitation.objects.get(email="new@alpha.example")
        assert (invitation.role, invitation.email_sent_at is not None) == ("customer_admin", True)

    def test_a_contact_can_be_recorded_without_an_e_mail(
        self, world: World, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = send(
                bearer(world.admin), "post", "/api/v1/accounts/alpha/contacts/",
                {"email": "quiet@alpha.example", "send_invitation": False},
            )  # fmt: skip
        assert response.status_code == 201 and response.json()["invitation_sent"] is False
        assert mail.outbox == []
        invitation = Invitation.objects.get(email="quiet@alpha.example")
        assert (invitation.role, invitation.email_sent_at) == ("customer_member", None)

    def test_adding_a_member_again_or_bad_input_is_a_field_error(self, world: World) -> None:
        client = bearer(world.admin)
        again = send(client, "post", "/api/v1/accounts/alpha/contacts/", {"email": "member@alpha.example"})
        assert again.status_code == 400 and set(again.json()) == {"email"}
        bad = send(
            client,
            "post",
            "/api/v1/accounts/alpha/contacts/",
            {"email": "x", "role": "owner", "send_invitation": "maybe"},
        )
        assert bad.status_code == 400 and set(bad.json()) == {"email", "role", "send_invitation"}
        assert Invitation.objects.count() == 0

    def test_the_role_changes_and_the_last_admin_stays(self, world: World) -> None:
        client = bearer(world.csm_a)
        boss = world.customer_admin_a.membership
        member = world.customer_a.membership
        refused = send(client, "patch", f"/api/v1/accounts/alpha/contacts/{boss.pk}/", {"role": "customer_member"})
        assert (refused.status_code, refused.json()["code"]) == (409, "last_admin")
        promoted = send(client, "patch", f"/api/v1/accounts/alpha/contacts/{member.pk}/", {"role": "customer_admin"})
        assert (promoted.status_code, promoted.json()["role"]) == (200, "customer_admin")
        stepped_down = send(client, "patch", f"/api/v1/accounts/alpha/contacts/{boss.pk}/", {"role": "customer_member"})
        assert stepped_down.status_code == 200
        bad = send(client, "patch", f"/api/v1/accounts/alpha/contacts/{boss.pk}/", {"role": None})
        assert bad.status_code == 400 and set(bad.json()) == {"role"}

    def test_a_member_is_removed_but_never_the_last_admin(self, world: World) -> None:
        client = bearer(world.admin)
        boss = world.customer_admin_a.membership
        refused = client.delete(f"/api/v1/accounts/alpha/contacts/{boss.pk}/")
        assert (refused.status_code, refused.json()["code"]) == (409, "last_admin")
        assert world.customer_admin_a.get_full_name() in refused.json()["detail"]
        member = world.customer_a.membership
        assert client.delete(f"/api/v1/accounts/alpha/contacts/{member.pk}/").status_code == 204
        assert list(Membership.objects.filter(account=world.account_a).values_list("user__email", flat=True)) == [
            "boss@alpha.example"
        ]
        assert client.delete(f"/api/v1/accounts/alpha/contacts/{member.pk}/").status_code == 404

    def test_another_tenants_contacts_answer_as_missing_ones(self, world: World) -> None:
        beta_boss = world.customer_b.membership
        for client in (bearer(world.csm_a), bearer(world.admin, account=world.account_a)):
            pairs = [
                (client.get("/api/v1/accounts/beta/contacts/"), client.get("/api/v1/accounts/nope/contacts/")),
                (
                    send(client, "post", "/api/v1/accounts/beta/contacts/", {"email": "x@beta.example"}),
                    send(client, "post", "/api/v1/accounts/nope/contacts/", {"email": "x@beta.example"}),
                ),
                (
                    send(
                        client, "patch", f"/api/v1/accounts/beta/contacts/{beta_boss.pk}/", {"role": "customer_member"}
                    ),
                    send(client, "patch", "/api/v1/accounts/beta/contacts/999999/", {"role": "customer_member"}),
                ),
                (
                    client.delete(f"/api/v1/accounts/beta/contacts/{beta_boss.pk}/"),
                    client.delete("/api/v1/accounts/nope/contacts/999999/"),
                ),
                # Beta's member under alpha's path is no member of alpha's.
                (
                    client.delete(f"/api/v1/accounts/alpha/contacts/{beta_boss.pk}/"),
                    client.delete("/api/v1/accounts/alpha/contacts/999999/"),
                ),
            ]
            for other, missing in pairs:
                assert (
                    (other.status_code, other.json()) == (missing.status_code, missing.json()) == (404, missing.json())
                )
        assert Membership.objects.filter(account=world.account_b).count() == 1
        assert Invitation.objects.count() == 0

    def test_a_customer_member_reads_but_does_not_change_the_team(self, world: World) -> None:
        client = session(world.customer_a)
        assert client.get("/api/v1/accounts/alpha/contacts/").status_code == 200
        assert send(client, "post", "/api/v1/accounts/alpha/contacts/", {"email": "y@alpha.example"}).status_code == 403
        assert (
            client.delete(f"/api/v1/accounts/alpha/contacts/{world.customer_admin_a.membership.pk}/").status_code == 403
        )
        assert Membership.objects.filter(account=world.account_a).count() == 2


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
FIELD_VALUES = st.one_of(
    JSON,
    st.text(min_size=180, max_size=400),
    st.sampled_from(["smb", "csm-a@kachi.example", "churned", "2026-01-01", "1e30", "-0", "\x00", "株式会社"]),
)
ACCOUNT_FIELDS = [
    *("name", "slug", "external_id", "domain", "segment", "plan"),
    *("contract_start", "investment_amount", "csm", "status", "churned_at"),
]
BODIES = st.one_of(
    JSON,
    st.dictionaries(
        st.sampled_from(ACCOUNT_FIELDS),
        FIELD_VALUES,
        max_size=8,
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, method=st.sampled_from(["post", "patch", "put"]))
def test_any_json_body_answers_without_a_server_error_and_a_refused_one_saves_nothing(
    world: World, body: object, method: str
) -> None:
    client = session(world.admin)
    path = {
        "post": "/api/v1/accounts/",
        "patch": "/api/v1/accounts/alpha/",
        "put": "/api/v1/accounts/by-external-id/crm-9/",
    }[method]
    before = list(Account.objects.values().order_by("pk"))
    response = send(client, method, path, body)
    assert response.status_code < 500, response.content
    if response.status_code == 400:
        assert isinstance(response.json(), dict)
        assert list(Account.objects.values().order_by("pk")) == before
