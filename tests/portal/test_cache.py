"""The shared cache is a help, never a requirement: with Redis gone, pages still answer."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings

from tests.conftest import World, signed_in
from tests.queries import capture_queries, statements

pytestmark = pytest.mark.django_db

# Nothing listens on port 9 of loopback: every connection is refused, as with a Redis that is down.
REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": settings.REDIS_CACHE_OPTIONS,
        "KEY_PREFIX": "kachi",
    }
}


def test_with_redis_down_a_signed_in_page_reads_its_session_from_the_database(world: World) -> None:
    with override_settings(CACHES=REDIS_DOWN):
        client = signed_in(world.customer_a)
        assert cache.get("anything", "missing") == "missing"
        with capture_queries() as captured:
            page = client.get("/app/")

    assert page.status_code == 200
    assert page.context["user"] == world.customer_a
    assert any('FROM "django_session"' in statement for statement in statements(captured))


def test_with_redis_down_signing_in_and_out_still_work(world: World) -> None:
    from django.test import Client

    world.customer_a.set_password("a long enough password")
    world.customer_a.save()
    with override_settings(CACHES=REDIS_DOWN):
        client = Client()
        signed = client.post("/login/", {"username": world.customer_a.email, "password": "a long enough password"})
        assert signed.status_code == 302
        assert client.get("/app/").status_code == 200
        assert client.post("/logout/").status_code == 302
        assert client.get("/app/").status_code == 302  # signed out: sent to the sign-in page
