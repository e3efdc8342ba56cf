"""The baseline a day of mentions is compared with, and the mentions per day it is built from: pure, no database.

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
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.alerts.detection import Kind

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
                {"day": day.isoformat(), "value": rounded(value)}
                for day, value in zip(self.sample_days, self.samples, strict=True)
            ],
            "median": rounded(self.median),
            "mad": rounded(self.mad),
            "dispersion": rounded(self.dispersion),
            "noise_floor": rounded(self.floor),
            "scale": rounded(self.scale),
        }


def rounded(value: float | None) -> float | None:
    """A number as evidence shows it: four decimal places."""
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
