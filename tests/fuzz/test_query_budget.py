"""Every page within a budget of queries, as every role that opens it.

Each page of ``tests/fuzz/pages.py`` is asked twice on the ``site`` fixture's data, with the reports
kept as the beat task keeps them, as each of its roles; the second answer is counted, so what a
process caches once (content types, the category tree, the risk rule's settings) is not. The budget
holds for the page with its default query string: the fuzz tests ask the parameters.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journeys.reports.rollup import overview_refresh
from tests.fuzz.harness import Site
from tests.fuzz.pages import PAGES

pytestmark = pytest.mark.django_db

BUDGET = 8

# Pages that read the reports the beat task keeps, counted as they compute them when none is kept
# (a new install before the first refresh): held at their present counts.
COMPUTED: dict[tuple[str, str], int] = {
    ("admin_home", "admin"): 6,
    ("portfolio", "csm"): 11,
}

CASES = [(name, role) for name, page in PAGES.items() for role in page.roles]


@pytest.fixture
def kept(site: Site) -> Site:
    """The site with its reports kept, as the beat task keeps them in production."""
    overview_refresh()
    return site


def count(site: Site, name: str, role: str) -> tuple[int, int, str]:
    client = Client()
    user = site.users[role]
    if user is not None:
        client.force_login(user)
    url = reverse(name, kwargs=site.kwargs.get(name))
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    sql = "\n".join(f"{n}. {q['sql'][:300]}" for n, q in enumerate(captured.captured_queries, start=1))
    return len(captured), response.status_code, sql


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{name}-{role}" for name, role in CASES])
def test_page_within_budget(kept: Site, name: str, role: str) -> None:
    queries, status, sql = count(kept, name, role)
    assert status < 500
    assert queries <= BUDGET, f"{name} as {role}: {queries} queries, {BUDGET} allowed (status {status}):\n{sql}"


@pytest.mark.parametrize(("name", "role"), list(COMPUTED), ids=[f"{name}-{role}" for name, role in COMPUTED])
def test_page_computing_its_reports(site: Site, name: str, role: str) -> None:
    queries, status, sql = count(site, name, role)
    assert status == 200
    budget = COMPUTED[(name, role)]
    assert queries <= budget, f"{name} as {role} with no kept reports: {queries} queries, {budget} allowed:\n{sql}"


def test_pages_computing_their_reports_are_still_asked() -> None:
    assert set(COMPUTED) <= set(CASES)
