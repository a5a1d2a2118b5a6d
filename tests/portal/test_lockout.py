"""The sign-in lockout (portal/lockout.py and the AXES_* settings): failures count against the login
they try, however its address is spelled."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client

from tests.conftest import World
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def sign_in(email: str, password: str, *, address: str = "192.0.2.10", client: Client | None = None, **headers: str):
    client = client or Client()
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=address, **headers)


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
