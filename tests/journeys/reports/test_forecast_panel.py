"""The account page's forecast panel: the prediction with its interval, chances and drivers when the
newest fit ships; why not, and the fallback, when it does not; what to expect before any fit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from journeys.onboarding.services.journeys import journey_start
from journeys.reports.models import TtvForecast, TtvPrediction
from tests.conftest import World, signed_in
from tests.factories import AccountFactory, PublishedPlaybookFactory
from tests.queries import assert_same_queries, capture_queries

pytestmark = pytest.mark.django_db

URL = "/accounts/alpha/panels/forecast/"


def fit(*, ships: bool, reason: str | None = None, at: datetime | None = None) -> TtvForecast:
    return TtvForecast.objects.create(
        kind="first_value", fitted_at=at or timezone.now(), ships=ships,
        reason=reason or ("better" if ships else "not-better"), ibs_model=0.11, ibs_baseline=0.17, c_index=0.77,
    )  # fmt: skip


def predict(forecast: TtvForecast, world: World, **fields: object) -> TtvPrediction:
    playbook = PublishedPlaybookFactory(step_count=0, segments=[world.account_a.segment])
    started = timezone.now() - timedelta(days=10)
    journey = journey_start(account=world.account_a, playbook=playbook, started_at=started)
    values = {
        "waited_days": 10.0, "median_at": started + timedelta(days=24), "low_at": started + timedelta(days=12),
        "high_at": started + timedelta(days=51), "within_target": 0.42, "by_day": {"30": 0.55, "60": 0.83, "90": 0.94},
        "drivers": [{"covariate": "plan", "level": "standard", "factor": 1.8},
                    {"covariate": "segment", "level": "smb", "factor": 0.5}],
        **fields,
    }  # fmt: skip
    return TtvPrediction.objects.create(forecast=forecast, journey=journey, account=world.account_a, **values)


def page(world: World, user=None, language: str = "en") -> str:
    response = signed_in(user or world.csm_a, language=language).get(URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_before_any_fit_it_says_when_the_forecast_comes(world: World) -> None:
    assert "No forecast yet: it is fitted every night at 02:30" in page(world)


def test_a_shipping_fit_shows_the_date_interval_chances_and_drivers(world: World) -> None:
    forecast = fit(ships=True)
    item = predict(forecast, world)
    html = page(world)
    assert timezone.localtime(item.median_at).strftime("%m/%d/%Y") in html
    assert "8 in 10 such accounts reach it between" in html
    assert "42% chance of reaching it within its target" in html
    assert 'width="42"' in html
    assert "By day 30" in html and "55%" in html and "83%" in html and "94%" in html
    assert "Plan: standard" in html and "1.8\N{MULTIPLICATION SIGN} longer than the typical account" in html
    assert "Segment: smb" in html and "2.0\N{MULTIPLICATION SIGN} sooner than the typical account" in html
    assert "it beat the segments' Kaplan-Meier curves" in html


def test_past_the_data_it_gives_chances_not_a_date(world: World) -> None:
    predict(fit(ships=True), world, median_at=None, high_at=None)
    html = page(world)
    assert "probably by then" not in html
    assert "the latest is past what the data has seen" in html
    assert "94%" in html


def test_a_fit_that_does_not_ship_says_why_and_falls_back_to_the_curve(world: World) -> None:
    shipping = fit(ships=True, at=timezone.now() - timedelta(days=1))
    predict(shipping, world)
    fit(ships=False, reason="few-reached")  # the newest decides
    html = page(world)
    assert "Too few accounts have reached value to learn from." in html
    assert "the segment's Kaplan-Meier figure" in html
    assert "chance of reaching it" not in html


def test_in_japanese(world: World) -> None:
    predict(fit(ships=True), world)
    html = page(world, language="ja")
    assert "価値到達の予測" in html and "目標内に到達する確率" in html


def test_another_csm_s_account_answers_as_a_missing_one(world: World) -> None:
    predict(fit(ships=True), world)
    response = signed_in(world.csm_b).get(URL, HTTP_HX_REQUEST="true")
    missing = signed_in(world.csm_b).get("/accounts/nobody/panels/forecast/", HTTP_HX_REQUEST="true")
    assert response.status_code == missing.status_code == 404
    assert b"Alpha" not in response.content and b"standard" not in response.content


def test_the_panel_reads_the_same_queries_whatever_the_number_of_predictions(world: World) -> None:
    forecast = fit(ships=True)
    predict(forecast, world)
    client = signed_in(world.csm_a)
    client.get(URL, HTTP_HX_REQUEST="true")
    with capture_queries() as few:
        client.get(URL, HTTP_HX_REQUEST="true")
    playbook = PublishedPlaybookFactory(step_count=0, segments=[world.account_b.segment])
    for _ in range(5):
        account = AccountFactory(segment=world.account_b.segment, csm=world.csm_b)
        journey = journey_start(account=account, playbook=playbook, started_at=timezone.now())
        TtvPrediction.objects.create(forecast=forecast, journey=journey, account=account, waited_days=1.0)
    with capture_queries() as many:
        client.get(URL, HTTP_HX_REQUEST="true")
    assert_same_queries(few, many)


# --- The same in the API -----------------------------------------------------------------------------


def api(user, slug: str = "alpha", scope: str = "reports:read"):
    from django.test import Client

    from portal.tokens import token_create

    _token, raw = token_create(owner=user, name="forecast", scopes=[scope])
    return Client().get(
        f"/api/v1/accounts/{slug}/forecast/", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_api_gives_the_prediction_and_the_fit_it_comes_from(world: World) -> None:
    item = predict(fit(ships=True), world)
    body = api(world.csm_a).json()
    assert (body["ships"], body["reason"], body["c_index"]) == (True, "better", 0.77)
    prediction = body["prediction"]
    assert prediction["journey_id"] == item.journey_id
    assert prediction["median_at"] == item.median_at.isoformat()
    assert prediction["by_day"] == {"30": 0.55, "60": 0.83, "90": 0.94}
    assert prediction["drivers"][0] == {"covariate": "plan", "level": "standard", "factor": 1.8}
    assert body["reason_text"] == "It beats each segment's Kaplan-Meier curve on later accounts."


def test_the_api_says_why_there_is_no_prediction(world: World) -> None:
    assert api(world.csm_a).json() | {} == {
        "kind": "first_value", "fitted_at": None, "ships": False, "reason": None, "reason_text": None,
        "ibs_model": None, "ibs_baseline": None, "c_index": None, "prediction": None,
    }  # fmt: skip
    fit(ships=False, reason="few-reached")
    body = api(world.csm_a).json()
    assert (body["ships"], body["reason"], body["prediction"]) == (False, "few-reached", None)


def test_the_api_answers_another_csm_as_for_a_missing_account_and_refuses_customers(world: World) -> None:
    predict(fit(ships=True), world)
    other, missing = api(world.csm_b), api(world.csm_b, slug="nobody")
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    assert api(world.customer_admin_a, scope="accounts:read").status_code == 403
    assert api(world.admin).status_code == 200
