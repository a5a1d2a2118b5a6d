"""Production settings: refuse to start without a real secret, and pass check --deploy with zero warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-production-secret-that-is-long-and-random-0123456789",
    "ALLOWED_HOSTS": "kachi.example.com",
    "DATABASE_URL": "sqlite:////tmp/kachi-deploy-check.sqlite3",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The test-only switches of this process are not part of a production environment.
    dropped = {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_zero_warnings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "secret",
    [None, "", "short", "django-insecure-kachi-development-key-not-for-production-use"],
)
def test_production_refuses_to_start_without_a_real_secret(secret: str | None) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_defaults_say_so_on_start() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv=['manage.py','runserver']; import portal.settings"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "KACHI_ANNOUNCE_DEFAULTS"}}
        | {"DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "development mode" in result.stderr


def test_database_connections_are_health_checked() -> None:
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_security_headers_on_every_page(client) -> None:
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from portal import settings as production

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.parametrize(("given", "expected"), [(None, "False"), ("1", "True")])
def test_the_served_app_does_not_ask_for_huge_pages_unless_told_to(given: str | None, expected: str) -> None:
    """numpy's huge-page requests stall on memory compaction where the kernel's transparent huge
    pages are "madvise": the WSGI application, as gunicorn loads it, starts with them off."""
    env = {k: v for k, v in os.environ.items() if k not in {"NUMPY_MADVISE_HUGEPAGE", "DJANGO_SETTINGS_MODULE"}}
    if given is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = given
    code = (
        "import portal.wsgi, portal.survival; from numpy._core import multiarray; "
        "print(multiarray._get_madvise_hugepage())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**env, **PRODUCTION_ENV}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
