from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import need_service
from tests.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("KACHI_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        need_service(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}


def sign_in(page, base: str, email: str) -> None:
    """Sign in through the login form (the world's people share the factories' password)."""
    page.goto(f"{base}/login/")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("form button[type=submit].btn").click()


DEMO_PASSWORD = "kachi-demo"


@pytest.fixture
def demo(live_server) -> str:
    """The demo world (``seed_demo``) behind a live server: its URL."""
    from tests.demo_world import demo_world

    demo_world()
    return live_server.url


def sign_in_demo(page, base: str, email: str) -> None:
    """Sign in as one of the demo's people, whatever the page's language."""
    import re

    page.goto(f"{base}/login/")
    page.get_by_label(re.compile("メールアドレス|E-mail address")).fill(email)
    page.get_by_label(re.compile("パスワード|Password")).fill(DEMO_PASSWORD)
    page.locator("form button[type=submit].btn").click()
    page.wait_for_load_state()
