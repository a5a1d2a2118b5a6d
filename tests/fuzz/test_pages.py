"""Every page with any query string, every form with any fields, as every role that uses them.

Whatever is asked: no answer is a server error (500), nothing saved is lost, and a form that its own
validation refuses is answered with the form again (or a redirect to it) and writes nothing.
``pages.py`` lists what is asked; the summary line at the end of the run counts the cases.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.models import User
from tests.fuzz.harness import FUZZ, Site, answer
from tests.fuzz.pages import FORMS, PAGE, PAGES, Form, excluded
from tests.fuzz.strategies import encode, hostile, query_strings, submissions
from tests.routes import all_routes

pytestmark = pytest.mark.django_db

ROUTES = {route.name: route for route in all_routes()}

# The keys a page was seen to read, by (method, name, role): found once per test by asking it.
_READS: dict[tuple[str, str, str], set[str]] = {}


def test_every_url_is_fuzzed_or_excluded() -> None:
    uncovered = [
        r.name for r in all_routes() if r.name not in PAGES and r.name not in FORMS and excluded(r.route) is None
    ]
    assert uncovered == [], f"URLs neither fuzzed nor excluded (add them to tests/fuzz/pages.py): {uncovered}"
    stale = sorted((set(PAGES) | set(FORMS)) - set(ROUTES))
    assert stale == [], f"fuzzed URLs that no longer exist: {stale}"


def test_every_page_that_reads_posted_fields_is_in_the_forms(site: Site) -> None:
    """A page that reads a field of a POST has a form: it is fuzzed only once it is in FORMS."""
    unlisted = {}
    for name, page in PAGES.items():
        for role in page.roles if name not in FORMS else ():
            got = answer(site, role, "post", url_of(site, name), body="probe=1")
            if got.post_reads:
                unlisted[f"{name} as {role}"] = sorted(got.post_reads)
    assert unlisted == {}


def url_of(site: Site, name: str, kwargs: dict[str, object] | None = None) -> str:
    return reverse(name, kwargs=site.kwargs.get(name) if kwargs is None else kwargs)


def path_kwargs(data: st.DataObject, site: Site, name: str) -> dict[str, object]:
    """The path of the object the page is about; now and then any value its converter accepts."""
    kwargs = dict(site.kwargs.get(name, {}))
    for key, converter in ROUTES[name].converters.items():
        if data.draw(st.integers(min_value=0, max_value=3), label=f"change {key}") == 0:
            kwargs[key] = data.draw(st.from_regex(converter.regex, fullmatch=True), label=key)
    return kwargs


def seen_reading(site: Site, method: str, name: str, role: str) -> set[str]:
    """The keys of the query string (GET) or the form (POST) the page reads when asked plainly."""
    key = (method, name, role)
    if key not in _READS:
        got = answer(site, role, method, url_of(site, name), body="probe=1")
        _READS[key] = got.get_reads if method == "get" else got.post_reads
    return _READS[key]


def cases(table: dict) -> list:
    return [pytest.param(name, role, id=f"{name}-{role}") for name, entry in table.items() for role in entry.roles]


@pytest.mark.parametrize(("name", "role"), cases(PAGES))
@FUZZ
@given(data=st.data())
def test_a_page_answers_any_query_string(site: Site, name: str, role: str, data: st.DataObject) -> None:
    page = PAGES[name]
    known = dict.fromkeys(seen_reading(site, "get", name, role), hostile) | dict(page.params)
    url = url_of(site, name, path_kwargs(data, site, name))
    query = data.draw(query_strings(known), label="query")
    htmx = page.htmx and data.draw(st.booleans(), label="htmx")

    got = answer(site, role, "get", f"{url}?{query}", htmx=htmx)

    assert got.status < 500
    assert got.status != 405, "a page answers GET"
    assert got.lost() == {}, "rows were lost"


@pytest.mark.parametrize(("name", "role"), cases(FORMS))
@FUZZ
@given(data=st.data())
def test_a_form_takes_any_fields(site: Site, name: str, role: str, data: st.DataObject) -> None:
    form = FORMS[name]
    fields = dict.fromkeys(seen_reading(site, "post", name, role), hostile) | dict(form.fields)
    body = encode(data.draw(submissions(fields), label="fields"))
    htmx = form.htmx and data.draw(st.booleans(), label="htmx")
    valid = form_takes(form, body, site.users[role])
    url = url_of(site, name)

    got = answer(site, role, "post", url, body=body, htmx=htmx, prime=url if form.prime else None)

    assert got.status < 500
    assert got.then is None or got.then < 500, f"the page after the form ({got.location}) answered {got.then}"
    assert got.status in form.statuses, f"{got.status} {got.location}"
    assert form.removes or got.lost() == {}, "rows were lost"
    if valid is False:
        assert got.changed() == {}, "refused input was written"


def form_takes(form: Form, body: str, user: User | None) -> bool | None:
    """Whether the view's form takes ``body`` (None: the view has no form class). Validation may
    query the database: in a savepoint, so that a failing query does not end the test's transaction."""
    if form.bind is None:
        return None
    with transaction.atomic():
        valid = form.bind(QueryDict(body), user).is_valid()
        transaction.set_rollback(True)
    return valid


def changelists() -> list:
    return sorted(r.name for r in all_routes() if r.name.startswith("admin:") and r.name.endswith("_changelist"))


# The admin is Django's: its changelists are asked with their own parameters (search, ordering, page)
# and keys nobody reads, not with their filters' parameters. Django's admin answers 500 to some of those
# (a date_hierarchy year out of range, Django ticket #37357; on SQLite, a related filter's id past
# 64 bits), and on SQLite to a search longer than SQLite's LIKE pattern limit (50,000 bytes).
ADMIN_PARAMS = {
    "q": hostile.filter(lambda text: len(text.encode()) <= 50_000),
    "o": st.one_of(st.from_regex(r"-?[0-9]{1,3}(\.-?[0-9]{1,3})*", fullmatch=True), hostile),
    "p": PAGE,
    "all": st.just(""),
    "e": hostile,
}


@pytest.mark.parametrize("name", changelists())
@settings(parent=FUZZ, max_examples=max(FUZZ.max_examples // 2, 3))
@given(data=st.data())
def test_admin_changelists_answer_any_query_string(site: Site, name: str, data: st.DataObject) -> None:
    query = data.draw(query_strings(ADMIN_PARAMS), label="query")

    got = answer(site, "admin", "get", f"{reverse(name)}?{query}")

    assert got.status < 500
    assert got.status in {200, 302, 400}  # 400: a lookup the admin does not allow
