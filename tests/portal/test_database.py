from __future__ import annotations

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_postgres_test_database_has_a_utf8_ctype() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL points at PostgreSQL but the tests run elsewhere")
        pytest.skip("PostgreSQL only: SQLite has no ctype")
    with connection.cursor() as cursor:
        cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
        (ctype,) = cursor.fetchone()
    assert "utf" in ctype.lower().replace("-", ""), f"ctype {ctype!r}: Japanese trigram search needs UTF-8"
