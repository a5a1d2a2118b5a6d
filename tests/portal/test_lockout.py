"""The sign-in lockout (portal/lockout.py and the AXES_* settings): failures count against the login
they try, however its address is spelled and from whatever address they come, and only that login
is paused."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.db.models import Sum
from django.test import Client

from portal.lockout import lockout_client_ip
from tests.conftest import World
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"
PROXY = "10.0.0.2"


def sign_in(email: str, password: str, *, address: str = "192.0.2.10", client: Client | None = None, **headers: str):
    client = client or Client()
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address, **headers)


def recorded_failures() -> int:
    return AccessAttempt.objects.aggregate(total=Sum("failures_since_start"))["total"]


class TestOneCountPerLogin:
    def test_spellings_of_one_address_share_one_count_and_pause_the_login(self, world: World) -> None:
        spellings = [
            "CSM-A@kachi.example",
            "csm-a@kachi.example ",
            "CSM-A@KACHI.EXAMPLE",
            " Csm-A@Kachi.Example",
            "csm-a@KACHI.example",
        ]
        statuses = [sign_in(spelling, WRONG).status_code for spelling in spellings]
        assert statuses == [200, 200, 200, 200, 429]
        assert sign_in("csm-a@kachi.example", TEST_PASSWORD).status_code == 429
        assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == ["csm-a@kachi.example"]

    def test_a_look_alike_the_database_matches_to_the_login_counts_against_it(self, world: World) -> None:
        if connection.vendor != "postgresql":
            pytest.skip("PostgreSQL only: SQLite matches letters case-insensitively only in ASCII")
        # PostgreSQL's UPPER() makes the long s (U+017F) an S and the dotless i (U+0131) an I, so each
        # of these signs in as csm-a@kachi.example; lower() alone would give each its own count.
        look_alikes = [
            "c\u017fm-a@kachi.example",
            "c\u017fm-a@kachi.example",
            "csm-a@kach\u0131.example",
            "csm-a@kach\u0131.example",
            "c\u017fm-a@kach\u0131.example",
        ]
        statuses = [sign_in(email, WRONG).status_code for email in look_alikes]
        assert statuses == [200, 200, 200, 200, 429]
        assert sign_in(world.csm_a.email, TEST_PASSWORD).status_code == 429

    def test_failures_from_many_addresses_pause_the_login_and_not_its_neighbours(self, world: World) -> None:
        statuses = [sign_in(world.csm_a.email, WRONG, address=f"198.51.100.{n}").status_code for n in range(1, 6)]
        assert statuses == [200, 200, 200, 200, 429]
        assert sign_in(world.csm_a.email, TEST_PASSWORD, address="203.0.113.77").status_code == 429
        # The neighbour signs in from an attacker's address (an office behind one NAT) and from another.
        assert sign_in(world.csm_b.email, TEST_PASSWORD, address="198.51.100.5").status_code == 302
        assert sign_in(world.csm_b.email, TEST_PASSWORD, address="203.0.113.77").status_code == 302

    def test_hundreds_of_failures_from_rotating_addresses_pause_the_target_and_no_one_else(self, world: World) -> None:
        addresses = [f"198.51.{n // 200}.{n % 200 + 1}" for n in range(300)]
        attacker = Client()  # one client for speed: what counts is the address, which changes every time
        statuses = [
            sign_in(world.customer_a.email, WRONG, address=address, client=attacker).status_code
            for address in addresses
        ]
        assert statuses == [200] * 4 + [429] * 296
        assert recorded_failures() == 300
        assert sign_in(world.customer_a.email, TEST_PASSWORD, address="203.0.113.77").status_code == 429
        others = [world.customer_admin_a, world.customer_b, world.csm_a, world.csm_b, world.admin]
        for user in others:
            assert sign_in(user.email, TEST_PASSWORD, address=addresses[-1]).status_code == 302, user.email
            assert sign_in(user.email, TEST_PASSWORD, address="203.0.113.77").status_code == 302, user.email
        assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == [world.customer_a.email]


class TestClientAddress:
    def test_behind_one_proxy_forged_forwarded_for_counts_on_the_real_client(self, world: World, settings) -> None:
        settings.PROXY_COUNT = 1
        # The proxy appends the address it saw (203.0.113.9) to whatever the client sent.
        forged = ["192.0.2.1", "192.0.2.2, 192.0.2.3", "unknown", "10.0.0.1", "::1"]
        statuses = [
            sign_in(world.csm_a.email, WRONG, address=PROXY, HTTP_X_FORWARDED_FOR=f"{value}, 203.0.113.9").status_code
            for value in forged
        ]
        assert statuses == [200, 200, 200, 200, 429]
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
        assert recorded_failures() == 5

    def test_without_a_proxy_forwarded_for_is_ignored(self, world: World, settings) -> None:
        settings.PROXY_COUNT = 0
        for n in range(1, 4):
            sign_in(world.csm_a.email, WRONG, address="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]
        assert recorded_failures() == 3

    def test_behind_two_proxies_the_client_is_second_from_the_right_else_remote_addr(self, rf, settings) -> None:
        settings.PROXY_COUNT = 2
        short = rf.post("/login/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.1")
        assert lockout_client_ip(short) == "203.0.113.9"
        garbage = rf.post("/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, <script>, 10.0.0.1")
        assert lockout_client_ip(garbage) == PROXY
        two_proxies = rf.post("/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.1, 2001:DB8::0:1, 10.0.0.1")
        assert lockout_client_ip(two_proxies) == "2001:db8::1"
