"""The employer-brand index: four measured components, each scored 0-100, averaged.

Components (each omitted, with its reason, when there is nothing to measure; the weights of the
others are then scaled up so they still sum to 1):

* content — how well employer-brand posts engage compared with all the client's posts:
  r = engagement rate of tagged posts / engagement rate of all posts, score = 100 * r / (1 + r)
  (50 when employer content engages as well as the rest, 67 at twice as well);
* audience — follower growth on professional networks, per 30 days: g, score = 100 / (1 + e^(-g / 0.02))
  (50 for no growth, 73 for +2 % a month, 27 for -2 %);
* sentiment — net sentiment of mentions about working there, n = (positive - negative) / total,
  score = 50 * (1 + n);
* conversions — applications recorded in the ROI ledger per 1,000 people reached by employer-brand
  posts: a, score = 100 * a / (a + 1) (50 at one application per 1,000 reached).

Each component weighs 1/4. The curves are fixed so that an index can be compared from one period
and one client to the next; the response carries every input beside its score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FORMULAS: dict[str, str] = {
    "content": "r = (engagements / reach of employer-brand posts) / (engagements / reach of all posts); "
    "score = 100 * r / (1 + r)",
    "audience": "g = (followers_last - followers_first) / followers_first * 30 / days on professional networks; "
    "score = 100 / (1 + exp(-g / 0.02))",
    "sentiment": "n = (positive - negative) / total mentions about working there; score = 50 * (1 + n)",
    "conversions": "a = applications / (employer-brand reach / 1000); score = 100 * a / (a + 1)",
    "index": "sum of weight * score over the measured components; weights 1/4 each, rescaled to sum to 1 "
    "when a component is missing",
}
WEIGHTS: dict[str, float] = {"content": 0.25, "audience": 0.25, "sentiment": 0.25, "conversions": 0.25}
GROWTH_SCALE = 0.02
"""A monthly growth of this fraction scores 73 (logistic curve centred on 0)."""
APPLICATIONS_REFERENCE = 1.0
"""Applications per 1,000 people reached that score 50."""


@dataclass(frozen=True)
class Component:
    """One component: its score (None when unmeasured), its inputs and why it is missing, if it is."""

    name: str
    score: float | None
    inputs: dict[str, float | int | None]
    missing_reason: str | None = None


def content_score(
    tagged_engagements: float, tagged_reach: float, all_engagements: float, all_reach: float
) -> Component:
    inputs: dict[str, float | int | None] = {
        "employer_brand_engagements": tagged_engagements,
        "employer_brand_reach": tagged_reach,
        "all_posts_engagements": all_engagements,
        "all_posts_reach": all_reach,
    }
    if tagged_reach <= 0 or all_reach <= 0 or all_engagements <= 0:
        return Component("content", None, inputs, "no employer-brand post with reach in the window")
    ratio = (tagged_engagements / tagged_reach) / (all_engagements / all_reach)
    inputs["engagement_rate_ratio"] = ratio
    return Component("content", 100 * ratio / (1 + ratio), inputs)


def audience_score(first_followers: float, last_followers: float, days: int) -> Component:
    inputs: dict[str, float | int | None] = {
        "followers_first": first_followers,
        "followers_last": last_followers,
        "days": days,
    }
    if first_followers <= 0 or days <= 0:
        return Component("audience", None, inputs, "no follower counts on a professional network in the window")
    growth_30 = (last_followers - first_followers) / first_followers * 30 / days
    inputs["growth_per_30_days"] = growth_30
    return Component("audience", 100 / (1 + math.exp(-growth_30 / GROWTH_SCALE)), inputs)


def sentiment_score(positive: int, negative: int, neutral: int) -> Component:
    total = positive + negative + neutral
    inputs: dict[str, float | int | None] = {"positive": positive, "negative": negative, "neutral": neutral}
    if total == 0:
        return Component("sentiment", None, inputs, "no analysed mention about working there in the window")
    net = (positive - negative) / total
    inputs["net_sentiment"] = net
    return Component("sentiment", 50 * (1 + net), inputs)


def conversions_score(applications: int | None, tagged_reach: float) -> Component:
    inputs: dict[str, float | int | None] = {"applications": applications, "employer_brand_reach": tagged_reach}
    if applications is None:
        return Component("conversions", None, inputs, "no application recorded in the ROI ledger in the window")
    if tagged_reach <= 0:
        return Component("conversions", None, inputs, "no reach of employer-brand posts to relate applications to")
    per_thousand = applications / (tagged_reach / 1000)
    inputs["applications_per_1000_reached"] = per_thousand
    return Component("conversions", 100 * per_thousand / (per_thousand + APPLICATIONS_REFERENCE), inputs)


def combine(components: list[Component]) -> tuple[float | None, dict[str, float]]:
    """The index (None when no component was measured) and the weight each measured component carried."""
    measured = [component for component in components if component.score is not None]
    total = sum(WEIGHTS[component.name] for component in measured)
    if not measured or total == 0:
        return None, {}
    weights = {component.name: WEIGHTS[component.name] / total for component in measured}
    index = sum(weights[component.name] * component.score for component in measured if component.score is not None)
    return index, weights
