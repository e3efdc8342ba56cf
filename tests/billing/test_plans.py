"""Plans come built in or from RESONANCE_PLANS; a wrong plan file is refused with a sentence naming what to fix."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from api.billing.plans import BUILT_IN, QUOTAS, load_plans
from tenants.settings import Settings, SettingsError

CUSTOM = {
    "solo": {"name": "Solo", "price": "9.90", "quotas": {"clients": 1, "api_requests_per_minute": 60}},
    "team": {
        "name": "Team",
        "price": "99",
        "currency": "USD",
        "quotas": {"clients": None, "tracked_accounts": 40},
        "stripe_price": "price_team",
        "stripe_metered_prices": {"syncs": "price_syncs", "api_calls": "price_calls"},
    },
}


def test_without_configuration_the_built_in_plans_are_on_sale_and_starter_is_the_default() -> None:
    plans = load_plans(Settings())

    assert list(plans) == ["starter", "agency", "scale"]
    assert plans["starter"].limit("clients") == 5
    # Every plan sets (or leaves unlimited) every quota, and bigger plans never give less.
    for quota in QUOTAS:
        limits = [plans[plan].limit(quota) for plan in ("starter", "agency", "scale")]
        assert all(limit is None or limit >= 0 for limit in limits)
        finite = [limit for limit in limits if limit is not None]
        assert finite == sorted(finite), quota
    assert plans["scale"].limit("clients") is None


def test_inline_json_replaces_the_built_in_plans_and_an_omitted_quota_is_unlimited() -> None:
    plans = load_plans(Settings(plans_config=json.dumps(CUSTOM), default_plan="solo"))

    assert set(plans) == {"solo", "team"}
    assert plans["solo"].price == Decimal("9.90")
    assert plans["solo"].limit("clients") == 1
    assert plans["solo"].limit("tracked_accounts") is None
    assert plans["team"].currency == "usd"
    assert plans["team"].stripe_metered_prices == {"syncs": "price_syncs", "api_calls": "price_calls"}


def test_a_plans_file_is_read_from_its_path(tmp_path: Path) -> None:
    path = tmp_path / "plans.json"
    path.write_text(json.dumps(CUSTOM), encoding="utf-8")

    plans = load_plans(Settings(plans_config=str(path), default_plan="team"))

    assert plans["team"].stripe_price == "price_team"


@pytest.mark.parametrize(
    ("config", "default", "message"),
    [
        ("{not json", "starter", "RESONANCE_PLANS is not valid JSON"),
        ("{}", "starter", "at least one plan"),
        (json.dumps({"solo": {"quotas": {"seats": 3}}}), "solo", "unknown quota(s) seats"),
        (json.dumps({"solo": {"quotas": {"clients": -1}}}), "solo", "quota 'clients' must be a whole number"),
        (json.dumps({"solo": {"quotas": {"clients": "5"}}}), "solo", "quota 'clients' must be a whole number"),
        (json.dumps({"solo": {"price": "cheap"}}), "solo", "price must be a decimal number"),
        (json.dumps({"solo": {"colour": "red"}}), "solo", "unknown key(s) colour"),
        (json.dumps({"solo": {"stripe_metered_prices": {"hugs": "price_1"}}}), "solo", "unknown meter(s) hugs"),
        (json.dumps({"solo": {}}), "starter", "RESONANCE_DEFAULT_PLAN is 'starter', which is not a plan"),
        ("/nowhere/plans.json", "starter", "cannot be read"),
    ],
)
def test_a_wrong_plans_configuration_is_refused_with_a_sentence(config: str, default: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_plans(Settings(plans_config=config, default_plan=default))

    assert message in str(raised.value)


def test_the_built_in_plans_are_not_changed_by_loading_a_custom_set() -> None:
    load_plans(Settings(plans_config=json.dumps(CUSTOM), default_plan="solo"))

    assert set(BUILT_IN) == {"starter", "agency", "scale"}
