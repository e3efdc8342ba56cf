"""The canonical metric catalogue: stable ids every connector maps its native metrics onto."""

from __future__ import annotations

from typing import Literal

import msgspec

Aggregation = Literal["sum", "last"]
"""How a metric combines over time: flows add up (`sum`), stocks keep their latest value (`last`)."""

CATALOG_VERSION = "2026.11"


class CanonicalMetric(msgspec.Struct, frozen=True, kw_only=True):
    """A metric as Resonance names it, whatever network it comes from."""

    id: str
    unit: str
    aggregation: Aggregation
    description: str


_BUILT_IN: tuple[CanonicalMetric, ...] = (
    CanonicalMetric(
        id="followers",
        unit="accounts",
        aggregation="last",
        description="People following the account at the end of the day.",
    ),
    CanonicalMetric(
        id="impressions",
        unit="views",
        aggregation="sum",
        description="Times the account's content was displayed, repeats included.",
    ),
    CanonicalMetric(
        id="reach",
        unit="accounts",
        aggregation="sum",
        description="Distinct accounts that saw the account's content that day.",
    ),
    CanonicalMetric(
        id="reach_non_followers",
        unit="accounts",
        aggregation="sum",
        description=(
            "Distinct accounts not following the account that saw its content that day, where the network "
            "splits reach by follower status (the non-follower part of `reach`)."
        ),
    ),
    CanonicalMetric(
        id="engagements",
        unit="actions",
        aggregation="sum",
        description=("All interactions with the account's content (reactions, comments, shares, saves, clicks)."),
    ),
    CanonicalMetric(
        id="reactions",
        unit="actions",
        aggregation="sum",
        description="Likes and other reactions on the account's content.",
    ),
    CanonicalMetric(
        id="comments", unit="actions", aggregation="sum", description="Comments and replies on the account's content."
    ),
    CanonicalMetric(
        id="shares",
        unit="actions",
        aggregation="sum",
        description="Shares, reposts and retweets of the account's content.",
    ),
    CanonicalMetric(
        id="saves",
        unit="actions",
        aggregation="sum",
        description="Times the account's content was saved or bookmarked.",
    ),
    CanonicalMetric(
        id="clicks",
        unit="actions",
        aggregation="sum",
        description="Clicks on links and calls to action in the account's content.",
    ),
    CanonicalMetric(
        id="video_views", unit="views", aggregation="sum", description="Video plays as the network counts them."
    ),
    CanonicalMetric(
        id="profile_views", unit="views", aggregation="sum", description="Visits to the account's profile or page."
    ),
    CanonicalMetric(
        id="posts_published", unit="posts", aggregation="sum", description="Posts the account published that day."
    ),
    CanonicalMetric(
        id="mentions",
        unit="mentions",
        aggregation="sum",
        description="Times other people mentioned the account that day.",
    ),
)


def built_in_metrics() -> dict[str, CanonicalMetric]:
    """The canonical metrics Resonance ships, by id."""
    return {metric.id: metric for metric in _BUILT_IN}
