"""The analytics formulas on their own, with numbers worked out by hand (no database)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from api.benchmark.percentiles import position
from api.content.history import AccountHistory, PostFact
from api.metrics.window import DayRange
from api.presence.audience import reach_beyond_followers
from api.presence.cadence import Silence, longest_silence, regularity
from api.presence.slots import best_slots
from api.rates.formulas import engagement_rate, post_engagement
from api.rates.periods import account_rates
from plugins.connectors.facebook_pages import FacebookPagesConnector

FACEBOOK = {d.native: d.canonical for d in FacebookPagesConnector.metrics}
WEEK = DayRange(start=date(2026, 3, 2), end=date(2026, 3, 8), timezone="UTC")


def test_a_facebook_posts_engagement_adds_its_interaction_fields() -> None:
    metrics = {"reactions": 12, "comments": 3, "shares": 2, "post_clicks": 7, "post_media_view": 900, "note": "x"}

    assert post_engagement(metrics, FACEBOOK) == (24.0, ["comments", "post_clicks", "reactions", "shares"])


def test_a_reported_engagement_total_wins_over_its_parts() -> None:
    assert post_engagement({"likes": 5, "engagements": 9}, {}) == (9.0, ["engagements"])
    assert post_engagement({"views": 100}, {}) == (0.0, [])


def test_engagement_rate_falls_back_to_impressions_when_reach_is_zero_or_absent() -> None:
    assert engagement_rate(10, 200, 1000) == (0.05, "reach")
    assert engagement_rate(10, 0, 1000) == (0.01, "impressions")
    assert engagement_rate(10, None, None) == (None, None)
    assert engagement_rate(None, 200, 1000) == (None, None)


def test_a_zero_target_has_no_regularity_and_a_post_every_day_leaves_no_silence() -> None:
    every_day = [date(2026, 3, d) for d in range(2, 9)]

    assert regularity(every_day, WEEK, 0).reason is not None
    assert regularity(every_day, WEEK, 0).score is None
    assert regularity(every_day, WEEK, 5).score == 100.0
    assert longest_silence(every_day, WEEK) == Silence(days=0, date_from=None, date_to=None)


def test_percentile_counts_ties_as_half_and_needs_a_value() -> None:
    assert position(5.0, [5.0, 5.0, 1.0]).percentile == 66.7  # 100 * (1 + 2 / 2) / 3, to one decimal
    assert position(None, [1.0, 2.0, 3.0]).percentile is None
    assert position(1.0, [None, None, 2.0]).group_size == 2


def test_slot_ties_rank_the_busier_slot_first() -> None:
    posts = [PostFact(datetime(2026, 3, d, 9), {"engagements": 10}) for d in (2, 9, 16, 23)]
    posts += [PostFact(datetime(2026, 3, d, 14), {"engagements": 10}) for d in (3, 10, 17)]

    ranked = best_slots(posts, {}).best

    assert [(s.weekday, s.hour, s.posts) for s in ranked] == [(1, 9, 4), (2, 14, 3)]


def test_a_period_without_a_stock_before_it_starts_from_its_first_value() -> None:
    history = AccountHistory(
        account_id=uuid.uuid4(),
        network="demo",
        handle="h",
        kind="owned",
        daily={"followers": {date(2026, 3, 3): 100.0, date(2026, 3, 7): 120.0}},
    )

    [week] = account_rates(history, WEEK, "week")

    assert (week.followers_start, week.followers_start_day, week.follower_growth, week.follower_growth_pct) == (
        100.0,
        date(2026, 3, 3),
        20.0,
        20.0,
    )


def test_reach_beyond_followers_says_why_it_is_missing() -> None:
    day = date(2026, 3, 2)

    stored_nothing = reach_beyond_followers({day: 100.0}, {}, "demo", reported=True)
    never_reported = reach_beyond_followers({day: 100.0}, {}, "bluesky", reported=False)
    no_reach = reach_beyond_followers({day: 0.0}, {day: 0.0}, "demo", reported=True)

    assert (stored_nothing.share, never_reported.share, no_reach.share) == (None, None, None)
    assert stored_nothing.reason is not None
    assert stored_nothing.reason.startswith("no reach_non_followers or reach is stored")
    assert never_reported.reason is not None
    assert never_reported.reason.startswith("bluesky does not report reach among non-followers")
    assert no_reach.reason == "reach was 0 on those days."
