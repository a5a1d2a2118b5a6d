"""The Django admin: every registered model's list, search and add page work for an admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.conftest import World
from tests.factories import AccountFactory, InvitationFactory, PlaybookFactory, StepFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db


def test_every_changelist_searches_and_filters(world: World) -> None:
    InvitationFactory(account=world.account_a)
    client = Client()
    client.force_login(world.admin)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert client.get(url, {"q": "alpha"}).status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_our_models_have_list_displays_filters_and_search() -> None:
    from portal.models import Account, Invitation, Membership, Segment, User

    for model in (User, Account, Segment, Membership, Invitation):
        model_admin = admin.site._registry[model]
        assert len(model_admin.list_display) > 2, model
        assert model_admin.search_fields, model
    for model in (User, Account, Membership, Invitation):
        assert admin.site._registry[model].list_filter, model


def test_admin_changelist_query_count_does_not_grow(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    with capture_queries() as few:
        client.get("/admin/portal/account/")
    AccountFactory.create_batch(15)
    with capture_queries() as many:
        client.get("/admin/portal/account/")
    assert_same_queries(few, many)


def test_admins_can_create_a_user_in_the_admin(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        "/admin/portal/user/add/",
        {
            "email": "new.csm@kachi.example",
            "role": "csm",
            "password1": "long-enough-pass",
            "password2": "long-enough-pass",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from portal.models import User

    assert User.objects.get(email="new.csm@kachi.example").is_csm


def test_a_new_account_starts_its_segments_playbook(world: World) -> None:
    from journeys.onboarding.models import Playbook

    playbook = PlaybookFactory(key="smb", name="SMB", status=Playbook.Status.PUBLISHED)
    playbook.segments.add(world.account_a.segment)
    StepFactory(playbook=playbook, key="first", title="First step")
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        "/admin/portal/account/add/",
        {
            "name": "Gamma KK",
            "slug": "gamma",
            "segment": world.account_a.segment.pk,
            "plan": "starter",
            "contract_start_0": "2026-11-01",
            "contract_start_1": "09:00:00",
            "investment_amount": "100000",
            "status": "onboarding",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    from portal.models import Account

    journey = Account.objects.get(slug="gamma").journeys.get()
    assert journey.playbook == playbook
    assert journey.step_states.count() == 1
