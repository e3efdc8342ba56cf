"""Crisis detection on daily series: pure functions, no database.

Each day is compared with its baseline (api/alerts/baselines.py: the previous weeks' median and scale).
z = (observed - median) ÷ scale (for a sentiment drop, median - observed); a rule fires when z reaches
the threshold of its kind and sensitivity and the day clears the rule's minimum counts. Every detector
returns a `Detection` carrying its evidence (samples, baseline, observed value, threshold, z-score) and a
sentence saying why it fired or did not.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from api.alerts.baselines import (
    DEFAULT_BASELINE_WEEKS,
    MIN_SAMPLES,
    Baseline,
    DayCounts,
    MentionSeries,
    net_standard_error,
    proportion_baseline,
    rounded,
    share_standard_error,
    volume_baseline,
    weekly_pooled,
)

Sensitivity = Literal["low", "medium", "high"]
Kind = Literal["mention_spike", "negative_share_spike", "sentiment_drop", "silence", "objective_off_track"]

KINDS: tuple[Kind, ...] = ("mention_spike", "negative_share_spike", "sentiment_drop", "silence", "objective_off_track")

Z_THRESHOLDS: dict[str, dict[Sensitivity, float]] = {
    "mention_spike": {"high": 4.5, "medium": 6.0, "low": 8.0},
    "negative_share_spike": {"high": 3.0, "medium": 4.0, "low": 5.5},
    "sentiment_drop": {"high": 2.5, "medium": 3.5, "low": 5.0},
}
"""The robust z-score a day must reach to fire, by kind and sensitivity (high fires most easily).

Calibrated on the synthetic histories of `tests/bench/crisis.py`: volume has heavier-tailed day-to-day
noise than the per-mention proportions, whose scale already carries their binomial noise."""


DEFINITIONS: dict[Kind, str] = {
    "mention_spike": (
        "Mention volume spike: observed = mentions published that day (the client's time zone, or one account's "
        "if params.account_id is set), against the same weekday of the previous weeks. Fires when z reaches the "
        "threshold of the rule's sensitivity (high 4.5, medium 6, low 8) and observed ≥ params.min_mentions."
    ),
    "negative_share_spike": (
        "Negative-share spike: observed = negative ÷ labelled mentions that day (mentions without a sentiment "
        "label are left out), against the previous weeks' pooled share. Fires when z reaches the threshold of the "
        "rule's sensitivity (high 3, medium 4, low 5.5), the day has at least params.min_negative negative "
        "mentions and the share rose by at least params.min_share_increase."
    ),
    "sentiment_drop": (
        "Sentiment drop: observed = net sentiment = (positive - negative) ÷ labelled mentions that day, against "
        "the previous weeks' pooled net sentiment (a fall gives a positive z). Fires when z reaches the threshold "
        "of the rule's sensitivity (high 2.5, medium 3.5, low 5), the day has at least params.min_mentions "
        "labelled mentions and net sentiment fell by at least params.min_drop."
    ),
    "silence": (
        "Silence: days since the last post = the evaluated day - the day of the last post (of params.account_id, "
        "or of any owned account of the client; an account that never posted counts from its creation). Fires "
        "when that reaches params.days; the alert's bucket is the day the silence reached params.days. "
        "Sensitivity does not apply."
    ),
    "objective_off_track": (
        "Objective off track: the objective params.objective_id is checked by the objectives module (its "
        "progress against the pace needed to reach its target, with params.tolerance as the allowed shortfall). "
        "Fires on the evaluated day when it reports the objective off track. Sensitivity does not apply."
    ),
}

COOLDOWN_DEFINITION = (
    "A rule opens no alert for a day whose start is less than cooldown_hours from the day of another of its "
    "alerts (before or after, whatever that alert's status); one alert per rule and day at most. An open or "
    "acknowledged alert does not block beyond the cooldown, so a forgotten alert never silences a new crisis."
)


@dataclass(frozen=True)
class Detection:
    """What a detector concluded about one day of one rule, with its evidence."""

    kind: Kind
    day: date
    fired: bool
    reason: str
    observed: float | None = None
    threshold: float | None = None
    z_score: float | None = None
    baseline: Baseline | None = None
    counts: DayCounts | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        """The JSON evidence stored with an alert (the caller adds the window and the top mentions)."""
        evidence: dict[str, Any] = {
            "definition": DEFINITIONS[self.kind],
            "bucket": self.day.isoformat(),
            "observed": rounded(self.observed),
            "threshold": rounded(self.threshold),
            "z_score": rounded(self.z_score),
            "baseline": self.baseline.as_dict(self.kind) if self.baseline else None,
            "reason": self.reason,
        }
        if self.counts is not None:
            evidence["counts"] = self.counts.as_dict()
        evidence.update(self.extra)
        return evidence


def _not_enough_history(kind: Kind, day: date, found: int, counts: DayCounts | None) -> Detection:
    return Detection(
        kind=kind,
        day=day,
        fired=False,
        reason=f"not enough history: {found} baseline sample(s), {MIN_SAMPLES} needed",
        counts=counts,
    )


def detect_mention_spike(
    series: MentionSeries,
    day: date,
    *,
    sensitivity: Sensitivity = "medium",
    min_mentions: int = 10,
    weeks: int = DEFAULT_BASELINE_WEEKS,
) -> Detection:
    """Whether the day's mention volume is a spike against its same-weekday baseline."""
    counts = series.on(day)
    if counts is None:
        return Detection(kind="mention_spike", day=day, fired=False, reason="no data on this day")

    baseline = volume_baseline(series, day, weeks)
    if isinstance(baseline, int):
        return _not_enough_history("mention_spike", day, baseline, counts)
    observed = float(counts.total)
    z = (observed - baseline.median) / baseline.scale
    threshold = Z_THRESHOLDS["mention_spike"][sensitivity]
    if z < threshold:
        reason = f"z = {z:.2f} is below {threshold:g}"
    elif observed < min_mentions:
        reason = f"{counts.total} mention(s), below the minimum of {min_mentions}"
    else:
        reason = f"{counts.total} mentions against a median of {baseline.median:g}: z = {z:.2f} ≥ {threshold:g}"
        return Detection("mention_spike", day, True, reason, observed, threshold, z, baseline, counts)
    return Detection("mention_spike", day, False, reason, observed, threshold, z, baseline, counts)


def detect_negative_share_spike(
    series: MentionSeries,
    day: date,
    *,
    sensitivity: Sensitivity = "medium",
    min_negative: int = 5,
    min_share_increase: float = 0.05,
    weeks: int = DEFAULT_BASELINE_WEEKS,
) -> Detection:
    """Whether the day's share of negative mentions jumped against its same-weekday baseline."""
    kind: Kind = "negative_share_spike"
    counts = series.on(day)
    if counts is None or counts.negative_share is None:
        return Detection(kind=kind, day=day, fired=False, reason="no labelled mention on this day", counts=counts)

    baseline = proportion_baseline(series, day, weeks, lambda found: found.negative, share_standard_error)
    if isinstance(baseline, int):
        return _not_enough_history(kind, day, baseline, counts)
    observed = counts.negative_share
    z = (observed - baseline.median) / baseline.scale
    threshold = Z_THRESHOLDS[kind][sensitivity]
    rise = observed - baseline.median
    if z < threshold:
        reason = f"z = {z:.2f} is below {threshold:g}"
    elif counts.negative < min_negative:
        reason = f"{counts.negative} negative mention(s), below the minimum of {min_negative}"
    elif rise < min_share_increase:
        reason = f"the share rose by {rise:.3f}, below the minimum of {min_share_increase:g}"
    else:
        reason = (
            f"{counts.negative} of {counts.labelled} labelled mentions negative ({observed:.1%}) against a median of "
            f"{baseline.median:.1%}: z = {z:.2f} ≥ {threshold:g}"
        )
        return Detection(kind, day, True, reason, observed, threshold, z, baseline, counts)
    return Detection(kind, day, False, reason, observed, threshold, z, baseline, counts)


def detect_sentiment_drop(
    series: MentionSeries,
    day: date,
    *,
    sensitivity: Sensitivity = "medium",
    min_mentions: int = 10,
    min_drop: float = 0.1,
    weeks: int = DEFAULT_BASELINE_WEEKS,
) -> Detection:
    """Whether the day's net sentiment fell against its same-weekday baseline."""
    kind: Kind = "sentiment_drop"
    counts = series.on(day)
    if counts is None or counts.net_sentiment is None:
        return Detection(kind=kind, day=day, fired=False, reason="no labelled mention on this day", counts=counts)

    window = series.window(day, weeks)
    _, polar = weekly_pooled(window, day, lambda found: found.positive + found.negative)
    polar_share = statistics.median(polar) if polar else 1.0
    baseline = proportion_baseline(
        series, day, weeks, lambda found: found.positive - found.negative, net_standard_error(polar_share), window
    )
    if isinstance(baseline, int):
        return _not_enough_history(kind, day, baseline, counts)
    observed = counts.net_sentiment
    drop = baseline.median - observed
    z = drop / baseline.scale
    threshold = Z_THRESHOLDS[kind][sensitivity]
    if z < threshold:
        reason = f"z = {z:.2f} is below {threshold:g}"
    elif counts.labelled < min_mentions:
        reason = f"{counts.labelled} labelled mention(s), below the minimum of {min_mentions}"
    elif drop < min_drop:
        reason = f"net sentiment fell by {drop:.3f}, below the minimum of {min_drop:g}"
    else:
        reason = (
            f"net sentiment {observed:+.2f} against a median of {baseline.median:+.2f}: z = {z:.2f} ≥ {threshold:g}"
        )
        return Detection(kind, day, True, reason, observed, threshold, z, baseline, counts)
    return Detection(kind, day, False, reason, observed, threshold, z, baseline, counts)


def detect_silence(last_post_day: date | None, since_day: date | None, today: date, *, days: int) -> Detection:
    """Whether `days` have passed since the last post (or since `since_day` when there never was one).

    The detection's day (the alert's bucket) is the day the silence reached `days`, so evaluating again later
    in the same silence names the same bucket.
    """
    start = last_post_day or since_day
    if start is None:
        return Detection(kind="silence", day=today, fired=False, reason="no account to watch")
    silent = (today - start).days
    reached = start + timedelta(days=days)
    extra = {
        "last_post_day": last_post_day.isoformat() if last_post_day else None,
        "days_silent": silent,
        "watched_since": start.isoformat(),
    }
    if silent < days:
        reason = f"{silent} day(s) since the last post, below {days}"
        return Detection("silence", today, False, reason, float(silent), float(days), extra=extra)
    what = f"the last post on {last_post_day}" if last_post_day else f"{start} without any post"
    reason = f"{silent} days since {what}: silence reached {days} days on {reached}"
    return Detection("silence", reached, True, reason, float(silent), float(days), extra=extra)


def in_cooldown(day: date, other_days: Iterable[date], cooldown_hours: int) -> bool:
    """True when another alert's day starts less than `cooldown_hours` from `day` (either side), or is `day`."""
    return any(other == day or abs((day - other).days) * 24 < cooldown_hours for other in other_days)


def days_between(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
