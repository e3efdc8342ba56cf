"""Cadence of an account's posts over a window: rate, recency, silences and regularity against a target."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import pairwise

import msgspec

from api.metrics.window import DayRange

POSTS_PER_WEEK = "posts_per_week = posts published in the window ÷ days in the window * 7."
DAYS_SINCE_LAST_POST = (
    "days_since_last_post = to - the local day of the last post on or before `to` (0 when it posted on `to`); "
    "posts before the window count; null when the account never posted."
)
LONGEST_SILENCE = (
    "longest_silence = the longest run of consecutive local days inside the window without a post, counting the "
    "days from `from` to the first post and from the last post to `to` (the whole window when nothing was "
    "posted); `from`/`to` give its first and last silent day (null when it posted every day)."
)
REGULARITY = (
    "regularity.score = 100 * the mean over the window's weeks of min(1, posts that week ÷ target_posts_per_week), "
    "to one decimal. "
    "Weeks are consecutive 7-day blocks starting on `from`; days after the last whole block are left out. A week "
    "that meets the target counts fully and a short week counts its share, so a burst never makes up for a silent "
    "week: posting the target every week scores 100, the whole month's posts in one week of four scores 25. "
    "Null, with a reason, when the account has no target (set target_posts_per_week with PATCH "
    "/v1/accounts/{account_id}), when the target is 0, or when the window is shorter than a week."
)


class Silence(msgspec.Struct, rename={"date_from": "from", "date_to": "to"}):
    """The longest stretch of days without a post."""

    days: int
    date_from: date | None
    date_to: date | None


class Regularity(msgspec.Struct):
    """How steadily the account met its weekly target; `score` is null when `reason` says why."""

    score: float | None
    reason: str | None
    target_posts_per_week: float | None
    weekly_posts: list[int]
    weeks_meeting_target: int | None


def posts_per_week(posts: int, window: DayRange) -> float:
    return posts / window.days * 7


def days_since_last_post(post_days: Sequence[date], last_before: date | None, window: DayRange) -> int | None:
    """Days from the last post (in the window, else before it) to the window's end."""
    last = max(post_days) if post_days else last_before
    return (window.end - last).days if last is not None else None


def longest_silence(post_days: Sequence[date], window: DayRange) -> Silence:
    """The longest run of days in the window with no post (the first such run when two are as long; no
    dates when the account posted every day)."""
    # Sentinels one day outside the window make the edges ordinary gaps.
    marks = [window.start - timedelta(days=1), *sorted(set(post_days)), window.end + timedelta(days=1)]
    best = Silence(days=0, date_from=None, date_to=None)
    for before, after in pairwise(marks):
        gap = (after - before).days - 1
        if gap > best.days:
            best = Silence(days=gap, date_from=before + timedelta(days=1), date_to=after - timedelta(days=1))
    return best


def regularity(post_days: Sequence[date], window: DayRange, target: float | None) -> Regularity:
    """The regularity score of the window's whole weeks against `target` posts per week."""
    weeks = window.days // 7
    counts = [0] * weeks
    for day in post_days:
        week = (day - window.start).days // 7
        if 0 <= week < weeks:
            counts[week] += 1
    reason = None
    if target is None:
        reason = "no target cadence is set on this account; set target_posts_per_week with PATCH /v1/accounts/{id}."
    elif target <= 0:
        reason = "the target cadence is 0 posts per week, so there is no regularity to score."
    elif weeks == 0:
        reason = "the window is shorter than a week; ask for at least 7 days."
    if reason is not None or target is None:
        return Regularity(
            score=None, reason=reason, target_posts_per_week=target, weekly_posts=counts, weeks_meeting_target=None
        )
    attained = [min(1.0, count / target) for count in counts]
    return Regularity(
        score=round(100 * sum(attained) / weeks, 1),
        reason=None,
        target_posts_per_week=target,
        weekly_posts=counts,
        weeks_meeting_target=sum(1 for count in counts if count >= target),
    )
