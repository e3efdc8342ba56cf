"""Crisis detection on daily series: pure functions, no database.

Why medians of the previous weeks (and not an EWMA or a mean): mention volume has a strong weekly rhythm
(a B2B brand is quiet on Sundays, a restaurant busy on Fridays), so a day's volume is compared with the
same weekday of the previous eight weeks only; and a median ignores one past crisis in the window, where a
mean, a standard deviation or an EWMA would be dragged up by it and hide the next one.

* Volume: median of the eight same-weekday values; scale = the largest of 1.4826 x their MAD (the MAD
  scaled to a standard deviation), the window's pooled spread (each of its 56 days against its own
  weekday's median, relative to that median: eight samples give a shaky MAD, 56 a steady one) times the
  median, and the Poisson counting noise sqrt(median) (eight quiet Sundays 0, 0, 1, 0… have a MAD of 0).
* Proportions (negative share, net sentiment): median of the eight previous weeks, each pooled (Σ over its
  days ÷ its labelled mentions): a quiet account's Sunday has two mentions whose share means nothing, a
  week pools enough, and the mix of opinions has little weekly rhythm (the volume, which has one, enters
  through today's standard error). Scale = today's standard error around the median (binomial for the
  share, exact for the -1/0/+1 average) times the window's over-dispersion (how far its days strayed from
  the median in units of their own standard error, at least 1).

z = (observed - median) ÷ scale (for a sentiment drop, median - observed); a rule fires when z reaches
the threshold of its kind and sensitivity and the day clears the rule's minimum counts. Every detector
returns a `Detection` carrying its evidence (samples, baseline, observed value, threshold, z-score) and a
sentence saying why it fired or did not.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any, Literal

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

MAD_TO_SIGMA = 1.4826
"""Scales a MAD to the standard deviation of normally distributed data."""

DEFAULT_BASELINE_WEEKS = 8
MIN_SAMPLES = 3
"""A baseline needs at least this many samples (same-weekday days, or weeks); with fewer, nothing fires."""

SHARE_CLAMP = (0.05, 0.95)
"""The baseline share used in the binomial noise floor is kept within this range, so a brand that never
had a negative mention still gets a floor above zero."""

_WEEKS = (
    "median = the median of the previous {weeks} weeks, each pooled (Σ over its 7 days ÷ its labelled mentions; "
    "weeks before the first data or without labelled mentions are left out; at least 3 needed); "
    "over-dispersion = max(1, 1.4826 x the median over the window's days of |day's value - median| ÷ se(median, "
    "the day's labelled mentions)); scale = over-dispersion x se(median, today's labelled mentions); "
)
BASELINE_METHODS: dict[Kind, str] = {
    "mention_spike": (
        "median = the median of the same weekday in each of the previous {weeks} weeks (days before the first "
        "data are left out; at least 3 needed); spread = 1.4826 x the median over the window's days of "
        "|day - its weekday's median| ÷ that median; scale = max(1.4826 x MAD of the samples, spread x median, "
        "sqrt(max(median, 1))); z = (observed - median) ÷ scale"
    ),
    "negative_share_spike": _WEEKS + "se(p, n) = sqrt(p(1 - p) ÷ n), p clamped to [0.05, 0.95]; "
    "z = (observed - median) ÷ scale",
    "sentiment_drop": _WEEKS + "se(b, n) = sqrt(max(q - b², 0.01) ÷ n), q = the median of the weeks' pooled share "
    "of positive or negative mentions among labelled ones; z = (median - observed) ÷ scale",
}


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
class DayCounts:
    """Mentions published on one day, by sentiment label (`unlabelled` = not yet analysed)."""

    positive: int = 0
    negative: int = 0
    neutral: int = 0
    unlabelled: int = 0

    # Cached: the detectors read them many times per evaluation (a frozen dataclass keeps a __dict__ for them).
    @cached_property
    def total(self) -> int:
        return self.positive + self.negative + self.neutral + self.unlabelled

    @cached_property
    def labelled(self) -> int:
        return self.positive + self.negative + self.neutral

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.labelled if self.labelled else None

    @property
    def net_sentiment(self) -> float | None:
        return (self.positive - self.negative) / self.labelled if self.labelled else None

    def as_dict(self) -> dict[str, int]:
        return {
            "mentions": self.total,
            "positive": self.positive,
            "negative": self.negative,
            "neutral": self.neutral,
            "unlabelled": self.unlabelled,
        }


EMPTY_DAY = DayCounts()


@dataclass(frozen=True)
class MentionSeries:
    """Daily mention counts; days before `first_day` have no data (not zero), later missing days are zero."""

    days: Mapping[date, DayCounts]
    first_day: date | None

    def on(self, day: date) -> DayCounts | None:
        """The day's counts, or None before the data begins."""
        if self.first_day is None or day < self.first_day:
            return None
        return self.days.get(day, EMPTY_DAY)

    def window(self, day: date, weeks: int) -> list[DayCounts | None]:
        """The `weeks` weeks of days before `day`, oldest first (None before the data begins)."""
        return [self.on(day - timedelta(days=offset)) for offset in range(7 * weeks, 0, -1)]


@dataclass(frozen=True)
class Baseline:
    """The robust baseline of one day, and the samples it came from."""

    weeks: int
    sample_days: list[date]
    samples: list[float]
    median: float
    mad: float
    dispersion: float
    """Volume: the window's pooled relative spread; shares: its over-dispersion factor (at least 1)."""
    floor: float
    scale: float

    def as_dict(self, kind: Kind) -> dict[str, Any]:
        return {
            "method": BASELINE_METHODS[kind].format(weeks=self.weeks),
            "weeks": self.weeks,
            "samples": [
                {"day": day.isoformat(), "value": _round(value)}
                for day, value in zip(self.sample_days, self.samples, strict=True)
            ],
            "median": _round(self.median),
            "mad": _round(self.mad),
            "dispersion": _round(self.dispersion),
            "noise_floor": _round(self.floor),
            "scale": _round(self.scale),
        }


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
            "observed": _round(self.observed),
            "threshold": _round(self.threshold),
            "z_score": _round(self.z_score),
            "baseline": self.baseline.as_dict(self.kind) if self.baseline else None,
            "reason": self.reason,
        }
        if self.counts is not None:
            evidence["counts"] = self.counts.as_dict()
        evidence.update(self.extra)
        return evidence


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def same_weekday_samples(
    value_on: Callable[[date], float | None], day: date, weeks: int
) -> tuple[list[date], list[float]]:
    """The value of the same weekday in each of the `weeks` previous weeks, oldest first, skipping missing ones."""
    days: list[date] = []
    samples: list[float] = []
    for back in range(weeks, 0, -1):
        earlier = day - timedelta(days=7 * back)
        value = value_on(earlier)
        if value is not None:
            days.append(earlier)
            samples.append(float(value))
    return days, samples


def _window_groups(value_on: Callable[[date], DayCounts | None], day: date, weeks: int) -> list[list[DayCounts]]:
    """The window's days (the `weeks` weeks before `day`) grouped by weekday, days without data left out."""
    groups = []
    for offset in range(1, 8):
        found = [value_on(day - timedelta(days=offset + 7 * back)) for back in range(weeks)]
        groups.append([counts for counts in found if counts is not None])
    return groups


def volume_baseline(series: MentionSeries, day: date, weeks: int) -> Baseline | int:
    """The volume baseline of `day`, or the number of same-weekday samples found when there are too few.

    Eight same-weekday samples give a shaky MAD; the window's 56 days, each compared with the median of its
    weekday, measure more steadily how far a day strays from its weekday (relative to its level, as volume
    noise grows with volume): the scale is the largest of the two and of the Poisson counting noise.
    """
    sample_days, samples = same_weekday_samples(lambda d: _total(series.on(d)), day, weeks)
    if len(samples) < MIN_SAMPLES:
        return len(samples)
    median = statistics.median(samples)
    mad = statistics.median(abs(value - median) for value in samples)
    residuals: list[float] = []
    for group in _window_groups(series.on, day, weeks):
        values = [float(counts.total) for counts in group]
        if len(values) >= MIN_SAMPLES and (middle := statistics.median(values)) > 0:
            residuals += [abs(value - middle) / middle for value in values]
    spread = MAD_TO_SIGMA * statistics.median(residuals) if len(residuals) >= 7 else 0.0
    floor = math.sqrt(max(median, 1.0))
    return Baseline(
        weeks, sample_days, samples, median, mad, spread, floor, max(MAD_TO_SIGMA * mad, spread * median, floor)
    )


def _total(counts: DayCounts | None) -> float | None:
    return None if counts is None else float(counts.total)


def weekly_pooled(
    window: Sequence[DayCounts | None], day: date, numerator: Callable[[DayCounts], float]
) -> tuple[list[date], list[float]]:
    """Each week of `window` (see `MentionSeries.window`) pooled: Σ numerator ÷ Σ labelled mentions, oldest first.

    The weeks are the seven days from `day` - 7k to `day` - 7k + 6; a week without labelled mentions is left out.
    """
    weeks = len(window) // 7
    starts: list[date] = []
    values: list[float] = []
    for index in range(weeks):
        present = [counts for counts in window[7 * index : 7 * index + 7] if counts is not None]
        labelled = sum(counts.labelled for counts in present)
        if labelled:
            starts.append(day - timedelta(days=7 * (weeks - index)))
            values.append(sum(numerator(counts) for counts in present) / labelled)
    return starts, values


def proportion_baseline(
    series: MentionSeries,
    day: date,
    weeks: int,
    numerator: Callable[[DayCounts], float],
    standard_error: Callable[[float, int], float],
    window: Sequence[DayCounts | None] | None = None,
) -> Baseline | int:
    """The baseline of a per-mention proportion (negative share, net sentiment), or the samples found if too few.

    Why weeks and not same-weekday days: a quiet account's Sunday has two mentions, whose share means
    nothing, and the median of such shares is biased towards 0; a week pools enough mentions, the median of
    the weeks still ignores one crisis week, and the mix of opinions has little weekly rhythm (the volume,
    which has one, enters through today's standard error). The scale is today's standard error around the
    median times the window's over-dispersion: how far its days strayed from the median in units of their
    own standard error (at least 1).
    """
    today = series.on(day)
    window = window if window is not None else series.window(day, weeks)
    sample_days, samples = weekly_pooled(window, day, numerator)
    if len(samples) < MIN_SAMPLES or today is None or not today.labelled:
        return len(samples)
    median = statistics.median(samples)
    mad = statistics.median(abs(value - median) for value in samples)
    standardized = [
        abs(numerator(counts) / counts.labelled - median) / standard_error(median, counts.labelled)
        for counts in window
        if counts is not None and counts.labelled
    ]
    dispersion = max(1.0, MAD_TO_SIGMA * statistics.median(standardized)) if len(standardized) >= 7 else 1.0
    floor = standard_error(median, today.labelled)
    return Baseline(weeks, sample_days, samples, median, mad, dispersion, floor, dispersion * floor)


def share_standard_error(share: float, labelled: int) -> float:
    """The binomial standard error of a share over `labelled` mentions, the share clamped to [0.05, 0.95]."""
    clamped = min(max(share, SHARE_CLAMP[0]), SHARE_CLAMP[1])
    return math.sqrt(clamped * (1 - clamped) / labelled)


def net_standard_error(polar_share: float) -> Callable[[float, int], float]:
    """The standard error of an average of -1/0/+1 values with mean `net`, `polar_share` of them being non-zero.

    Such a value has variance polar_share - net² (kept at least 0.01); `polar_share` is the baseline's median
    share of positive or negative mentions among labelled ones.
    """

    def standard_error(net: float, labelled: int) -> float:
        return math.sqrt(max(polar_share - net * net, 0.01) / labelled)

    return standard_error


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
