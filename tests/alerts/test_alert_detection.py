"""The detectors on crafted daily series: what fires, what does not, and the numbers they report."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from api.alerts.baselines import DayCounts, MentionSeries
from api.alerts.detection import (
    detect_mention_spike,
    detect_negative_share_spike,
    detect_sentiment_drop,
    detect_silence,
    in_cooldown,
)

START = date(2026, 9, 7)  # a Monday
EVALUATED = START + timedelta(weeks=8)  # the Monday after eight full weeks


def volumes(per_day: dict[date, int], first_day: date = START) -> MentionSeries:
    return MentionSeries(days={day: DayCounts(neutral=count) for day, count in per_day.items()}, first_day=first_day)


def flat(count: int, weeks: int = 8) -> dict[date, int]:
    return {START + timedelta(days=offset): count for offset in range(7 * weeks)}


def test_a_tripled_day_fires_with_the_z_score_of_the_poisson_floor() -> None:
    days = flat(20) | {EVALUATED: 60}

    found = detect_mention_spike(volumes(days), EVALUATED)

    assert found.fired
    assert found.baseline is not None
    assert found.baseline.median == 20
    assert found.baseline.mad == 0
    assert found.baseline.scale == pytest.approx(math.sqrt(20))
    assert found.z_score == pytest.approx(40 / math.sqrt(20))  # 8.944
    assert found.observed == 60
    assert found.threshold == 6.0
    assert [sample.isoformat() for sample in found.baseline.sample_days] == [
        (EVALUATED - timedelta(weeks=back)).isoformat() for back in range(8, 0, -1)
    ]


def test_a_day_within_the_noise_does_not_fire() -> None:
    found = detect_mention_spike(volumes(flat(20) | {EVALUATED: 30}), EVALUATED)

    assert not found.fired
    assert found.z_score == pytest.approx(10 / math.sqrt(20))  # 2.236
    assert "below 6" in found.reason


def test_a_weekly_peak_is_normal_for_its_weekday_and_does_not_fire() -> None:
    # Mondays are busy (100), the other days quiet (20): a Monday at 100 is expected, a Tuesday at 100 is not.
    days = {day: (100 if day.weekday() == 0 else 20) for day in flat(0)}
    monday, tuesday = EVALUATED, EVALUATED + timedelta(days=1)
    series = volumes(days | {monday: 100, tuesday: 100})

    on_monday = detect_mention_spike(series, monday)
    on_tuesday = detect_mention_spike(series, tuesday)

    assert not on_monday.fired
    assert on_monday.z_score == 0
    assert on_tuesday.fired
    assert on_tuesday.z_score == pytest.approx(80 / math.sqrt(20))


def test_the_scale_is_the_mad_when_the_weekday_varies_more_than_counting_noise() -> None:
    mondays = [10, 12, 14, 16, 18, 20, 22, 24]  # median 17, deviations 7 5 3 1 1 3 5 7: MAD 4
    days = flat(17) | {START + timedelta(weeks=week): value for week, value in enumerate(mondays)}

    found = detect_mention_spike(volumes(days | {EVALUATED: 60}), EVALUATED)

    assert found.baseline is not None
    assert found.baseline.median == 17
    assert found.baseline.mad == 4
    assert found.baseline.dispersion == 0  # 48 of the window's 56 days sit on their weekday's median
    assert found.baseline.scale == pytest.approx(1.4826 * 4)
    assert found.z_score == pytest.approx(43 / (1.4826 * 4))  # 7.25
    assert found.fired


def test_the_windows_pooled_spread_widens_a_weekday_that_happened_to_be_steady() -> None:
    # Mondays were always 20, but every other day swung between 15 and 25 (25 % from its weekday's median).
    days = {day: 20 if day.weekday() == 0 else (15 if (day - START).days // 7 % 2 else 25) for day in flat(0)}

    found = detect_mention_spike(volumes(days | {EVALUATED: 60}), EVALUATED)

    assert found.baseline is not None
    assert found.baseline.mad == 0
    assert found.baseline.dispersion == pytest.approx(1.4826 * 0.25)
    assert found.baseline.scale == pytest.approx(1.4826 * 0.25 * 20)  # 7.41, above sqrt(20) = 4.47
    assert found.z_score == pytest.approx(40 / (1.4826 * 0.25 * 20))  # 5.40
    assert not found.fired


def test_one_to_three_mentions_is_not_a_crisis_and_the_minimum_count_holds_a_small_spike() -> None:
    quiet = flat(1)

    three = detect_mention_spike(volumes(quiet | {EVALUATED: 3}), EVALUATED)
    eight = detect_mention_spike(volumes(quiet | {EVALUATED: 8}), EVALUATED)
    eight_with_lower_minimum = detect_mention_spike(volumes(quiet | {EVALUATED: 8}), EVALUATED, min_mentions=5)

    assert not three.fired
    assert three.z_score == 2.0
    assert not eight.fired
    assert eight.z_score == 7.0  # above the threshold of 6: only the minimum count holds it
    assert "below the minimum of 10" in eight.reason
    assert eight_with_lower_minimum.fired


def test_sensitivity_sets_the_threshold() -> None:
    # z = 28 / 4 = 7.0 with a median of 16: fires at high (4.5) and medium (6.0), not at low (8.0).
    series = volumes(flat(16) | {EVALUATED: 44})

    fired = {level: detect_mention_spike(series, EVALUATED, sensitivity=level).fired for level in ("low", "medium")}
    fired["high"] = detect_mention_spike(series, EVALUATED, sensitivity="high").fired

    assert fired == {"low": False, "medium": True, "high": True}


def test_days_before_the_data_begins_are_not_zeros_and_too_little_history_never_fires() -> None:
    first = EVALUATED - timedelta(weeks=2)
    days = {first + timedelta(days=offset): 20 for offset in range(14)} | {EVALUATED: 200}

    found = detect_mention_spike(volumes(days, first_day=first), EVALUATED)

    assert not found.fired
    assert "2 baseline sample(s), 3 needed" in found.reason


def test_a_negative_share_surge_fires_and_unlabelled_mentions_are_left_out() -> None:
    usual = DayCounts(positive=8, negative=2, neutral=10, unlabelled=5)  # 10 % negative among 20 labelled
    history = {day: usual for day in flat(0)}
    surge = DayCounts(positive=4, negative=10, neutral=6, unlabelled=30)  # 50 % negative among 20 labelled
    series = MentionSeries(days=history | {EVALUATED: surge}, first_day=START)

    found = detect_negative_share_spike(series, EVALUATED)

    floor = math.sqrt(0.1 * 0.9 / 20)
    assert found.fired
    assert found.observed == 0.5
    assert found.baseline is not None
    assert found.baseline.median == pytest.approx(0.1)
    assert found.baseline.scale == pytest.approx(floor)
    assert found.z_score == pytest.approx(0.4 / floor)  # 5.96
    assert found.counts == surge


def test_a_past_crisis_in_the_window_does_not_hide_the_next() -> None:
    usual = DayCounts(positive=8, negative=2, neutral=10)
    history = {day: usual for day in flat(0)}
    history[START + timedelta(weeks=3, days=2)] = DayCounts(positive=2, negative=40, neutral=8)
    history[START + timedelta(weeks=3)] = DayCounts(positive=5, negative=2, neutral=10, unlabelled=200)
    surge = DayCounts(positive=4, negative=10, neutral=6)
    series = MentionSeries(days=history | {EVALUATED: surge}, first_day=START)

    share = detect_negative_share_spike(series, EVALUATED)
    volume = detect_mention_spike(series, EVALUATED)

    assert share.baseline is not None
    assert share.baseline.median == pytest.approx(0.1)
    assert share.baseline.dispersion == 1
    assert share.z_score == pytest.approx(0.4 / math.sqrt(0.09 / 20))
    assert share.fired
    assert volume.baseline is not None
    assert volume.baseline.median == 20


def test_a_small_negative_share_rise_and_too_few_negatives_do_not_fire() -> None:
    history = {day: DayCounts(positive=8, negative=2, neutral=10) for day in flat(0)}
    slight = DayCounts(positive=8, negative=4, neutral=8)  # 20 %: z = 0.1 / 0.067 = 1.49
    few = DayCounts(negative=4)  # 100 % negative, but only 4 negative mentions

    on_slight = detect_negative_share_spike(MentionSeries(history | {EVALUATED: slight}, START), EVALUATED)
    on_few = detect_negative_share_spike(MentionSeries(history | {EVALUATED: few}, START), EVALUATED)

    assert not on_slight.fired
    assert on_slight.z_score == pytest.approx(0.1 / math.sqrt(0.09 / 20))
    assert not on_few.fired
    assert "4 negative mention(s), below the minimum of 5" in on_few.reason


def test_a_net_sentiment_drop_fires_against_its_bound_on_the_standard_error() -> None:
    history = {day: DayCounts(positive=10, negative=2, neutral=8) for day in flat(0)}  # net +0.4
    drop = DayCounts(positive=2, negative=14, neutral=4)  # net -0.6
    mild = DayCounts(positive=8, negative=4, neutral=8)  # net +0.2

    found = detect_sentiment_drop(MentionSeries(history | {EVALUATED: drop}, START), EVALUATED)
    on_mild = detect_sentiment_drop(MentionSeries(history | {EVALUATED: mild}, START), EVALUATED)

    floor = math.sqrt((0.6 - 0.4**2) / 20)  # 60 % of labelled mentions are positive or negative
    assert found.fired
    assert found.observed == pytest.approx(-0.6)
    assert found.z_score == pytest.approx(1.0 / floor)  # 6.74
    assert not on_mild.fired
    assert on_mild.z_score == pytest.approx(0.2 / floor)


def test_silence_fires_on_the_day_it_reaches_the_threshold_and_keeps_that_bucket() -> None:
    last_post = date(2026, 11, 1)

    day_before = detect_silence(last_post, None, date(2026, 11, 21), days=21)
    reached = detect_silence(last_post, None, date(2026, 11, 22), days=21)
    later = detect_silence(last_post, None, date(2026, 11, 25), days=21)

    assert not day_before.fired
    assert day_before.observed == 20
    assert reached.fired
    assert reached.day == date(2026, 11, 22)
    assert later.fired
    assert later.day == date(2026, 11, 22)
    assert later.observed == 24
    assert later.extra["last_post_day"] == "2026-11-01"


def test_silence_of_an_account_that_never_posted_counts_from_when_it_was_watched() -> None:
    found = detect_silence(None, date(2026, 11, 1), date(2026, 11, 10), days=7)

    assert found.fired
    assert found.day == date(2026, 11, 8)
    assert found.extra["last_post_day"] is None


def test_cooldown_counts_whole_days_either_side() -> None:
    alerted = [date(2026, 11, 10)]

    assert in_cooldown(date(2026, 11, 10), alerted, 0)
    assert not in_cooldown(date(2026, 11, 11), alerted, 0)
    assert in_cooldown(date(2026, 11, 12), alerted, 72)
    assert in_cooldown(date(2026, 11, 8), alerted, 72)
    assert not in_cooldown(date(2026, 11, 13), alerted, 72)
    assert not in_cooldown(date(2026, 11, 7), alerted, 72)
