from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from portal.models import Account, Invitation, Membership, Segment, User
from portal.services import token_hash

TEST_PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ["email"]

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    role = User.Role.CUSTOMER
    password = factory.django.Password(TEST_PASSWORD)


class CsmFactory(UserFactory):
    role = User.Role.CSM
    email = factory.Sequence(lambda n: f"csm{n}@kachi.example")


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    email = factory.Sequence(lambda n: f"admin{n}@kachi.example")


class SegmentFactory(DjangoModelFactory[Segment]):
    class Meta:
        model = Segment
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Segment {n}")
    slug = factory.Sequence(lambda n: f"segment-{n}")
    target_first_value_days = 21


class AccountFactory(DjangoModelFactory[Account]):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Customer {n}")
    slug = factory.Sequence(lambda n: f"customer-{n}")
    segment = factory.SubFactory(SegmentFactory)
    contract_start = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    investment_amount = 600_000
    csm = factory.SubFactory(CsmFactory)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Membership.Role.MEMBER


class InvitationFactory(DjangoModelFactory[Invitation]):
    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-token-{n}")

    account = factory.SubFactory(AccountFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    invited_by = factory.SubFactory(AdminFactory)
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
