"""The best publishing slots (weekday * hour on the client's clock) from an account's own posts."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Mapping, Sequence

import msgspec

from api.content.history import PostFact
from api.rates.formulas import post_engagement

MIN_POSTS_PER_SLOT = 3
"""A slot needs this many posts before its average can rank: one lucky post says nothing about a slot."""
TOP_SLOTS = 3

BEST_SLOTS = (
    "A slot is a weekday and hour of publication on the client's clock. A post's engagement is the sum of its "
    "native metric fields listed in `engagement_fields` (those feeding canonical `engagements`, else those feeding "
    "reactions, comments, shares, saves and clicks); a slot's average_engagement is the mean over its posts in "
    f"the window. `best` ranks the slots with at least `min_posts_per_slot` posts (default {MIN_POSTS_PER_SLOT}) "
    f"by average engagement, highest first (ties: more posts, then earlier weekday and hour), top {TOP_SLOTS}; "
    "`grid` lists every slot with a post. weekday is ISO (1 = Monday)."
)


class Slot(msgspec.Struct):
    weekday: int
    weekday_name: str
    hour: int
    posts: int
    average_engagement: float


class Slots(msgspec.Struct):
    engagement_fields: list[str]
    min_posts_per_slot: int
    best: list[Slot]
    grid: list[Slot]


def best_slots(
    posts: Sequence[PostFact], native_to_canonical: Mapping[str, str], min_posts: int = MIN_POSTS_PER_SLOT
) -> Slots:
    """The slot grid of `posts` and the best slots among those with at least `min_posts` posts."""
    totals: dict[tuple[int, int], list[float]] = defaultdict(list)
    fields: set[str] = set()
    for post in posts:
        value, used = post_engagement(post.metrics, native_to_canonical)
        fields.update(used)
        totals[(post.local_time.isoweekday(), post.local_time.hour)].append(value)
    grid = [
        Slot(
            weekday=weekday,
            weekday_name=calendar.day_name[weekday - 1],
            hour=hour,
            posts=len(values),
            average_engagement=sum(values) / len(values),
        )
        for (weekday, hour), values in sorted(totals.items())
    ]
    ranked = sorted(
        (slot for slot in grid if slot.posts >= min_posts),
        key=lambda slot: (-slot.average_engagement, -slot.posts, slot.weekday, slot.hour),
    )
    return Slots(engagement_fields=sorted(fields), min_posts_per_slot=min_posts, best=ranked[:TOP_SLOTS], grid=grid)
