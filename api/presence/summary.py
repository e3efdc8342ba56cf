"""One account's presence over a window, assembled from the cadence, audience and slot computations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date

import msgspec

from api.content.history import AccountHistory
from api.metrics.window import DayRange
from api.presence.audience import AudienceGrowth, ReachBeyondFollowers, audience_growth, reach_beyond_followers
from api.presence.cadence import (
    Regularity,
    Silence,
    days_since_last_post,
    longest_silence,
    posts_per_week,
    regularity,
)
from api.presence.slots import Slots, best_slots


class AccountPresence(msgspec.Struct):
    account_id: uuid.UUID
    network: str
    handle: str
    kind: str
    posts: int
    posts_per_week: float
    last_post_day: date | None
    days_since_last_post: int | None
    longest_silence: Silence
    regularity: Regularity
    audience: AudienceGrowth
    reach_beyond_followers: ReachBeyondFollowers
    best_slots: Slots


def account_presence(
    history: AccountHistory, window: DayRange, native_to_canonical: Mapping[str, str], reports_split: bool
) -> AccountPresence:
    """Every presence figure of one account over `window`."""
    post_days = [post.local_time.date() for post in history.posts]
    last = max(post_days) if post_days else history.last_post_before
    return AccountPresence(
        account_id=history.account_id,
        network=history.network,
        handle=history.handle,
        kind=history.kind,
        posts=len(post_days),
        posts_per_week=posts_per_week(len(post_days), window),
        last_post_day=last,
        days_since_last_post=days_since_last_post(post_days, history.last_post_before, window),
        longest_silence=longest_silence(post_days, window),
        regularity=regularity(post_days, window, history.target_posts_per_week),
        audience=audience_growth(history.series("followers")),
        reach_beyond_followers=reach_beyond_followers(
            history.series("reach"), history.series("reach_non_followers"), history.network, reports_split
        ),
        best_slots=best_slots(history.posts, native_to_canonical),
    )
