"""Crisis detection: precision and recall of the alert detectors on synthetic histories with injected crises.

Pure detection functions (`api.alerts.detection`), no database: it runs in seconds.

Each history is a client's daily mentions over 56 days of warm-up (the baseline's eight weeks) and 63
evaluated days, drawn from a seeded RNG: a level between 0.5 and 300 mentions a day (a fifth of the
histories are quiet accounts under 3 a day), one of four weekly profiles (flat, B2B weekdays, weekend
consumer, a Monday peak at 2.5x), a trend of -0.4 % to +0.6 % a day, over-dispersed noise (Poisson around a
gamma-distributed day level, coefficient of variation 20 %), a base negative share of 5-25 % that wanders
day to day, and 10 % of mentions left unlabelled.

Crises are injected in the evaluated days of two thirds of the histories (the rest are controls):

* volume spike: 2x to 8x the expected day, and at least 15-40 extra mentions (a crisis on a quiet account
  is still tens of mentions), for 1-4 days halving each day, with the usual sentiment;
* negative surge: the volume 1.0x to 1.8x, the negative share raised by 20 to 50 points, and at least 8-20
  negative mentions, for 1-3 days.

Every evaluated day is run through the three detectors at their defaults (medium sensitivity, default
minimum counts, 8-week baseline) with a 72-hour cooldown per kind, as after a daily sync. An alert on the
onset day or the day after is a true positive; any other alert is a false positive (alerts in later
days of a crisis included). Recall per kind counts the crises the kind is meant to see (volume spikes
for `mention_spike`, negative surges for `negative_share_spike` and `sentiment_drop`); overall recall
counts a crisis found when one of its kinds alerted in time; precision counts all of a kind's alerts.
"""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from api.alerts.baselines import DayCounts, MentionSeries
from api.alerts.detection import (
    Detection,
    detect_mention_spike,
    detect_negative_share_spike,
    detect_sentiment_drop,
    in_cooldown,
)
from tests.bench.common import Outcome, say

SEED = 20261126
WARMUP_DAYS = 56
EVALUATED_DAYS = 63
COOLDOWN_HOURS = 72
TARGET = 0.9
DETECTORS = ("mention_spike", "negative_share_spike", "sentiment_drop")
EXPECTED_KINDS = {"volume": ("mention_spike",), "negative": ("negative_share_spike", "sentiment_drop")}

WEEKLY_PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "b2b": (1.25, 1.2, 1.2, 1.15, 1.1, 0.45, 0.35),
    "weekend": (0.8, 0.8, 0.85, 0.9, 1.3, 1.6, 1.4),
    "monday_peak": (2.5, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8),
}


@dataclass(frozen=True)
class Crisis:
    kind: str  # "volume" or "negative"
    onset: date
    days: int


@dataclass
class History:
    first_day: date
    days: dict[date, DayCounts]
    crises: list[Crisis] = field(default_factory=list)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean < 30:
        limit, product, count = math.exp(-mean), rng.random(), 0
        while product > limit:
            product *= rng.random()
            count += 1
        return count
    return max(0, round(rng.gauss(mean, math.sqrt(mean))))


def _binomial(rng: random.Random, n: int, p: float) -> int:
    p = min(max(p, 0.0), 1.0)
    if n < 60:
        return sum(1 for _ in range(n) if rng.random() < p)
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


def _split(rng: random.Random, total: int, negative_share: float, positive_share: float) -> DayCounts:
    unlabelled = _binomial(rng, total, 0.1)
    labelled = total - unlabelled
    negative = _binomial(rng, labelled, negative_share)
    positive = _binomial(rng, labelled - negative, positive_share / max(1 - negative_share, 1e-9))
    return DayCounts(
        positive=positive, negative=negative, neutral=labelled - negative - positive, unlabelled=unlabelled
    )


def make_history(rng: random.Random, crisis_kind: str | None) -> History:
    """One synthetic history, with one crisis of `crisis_kind` (None: a control) in its evaluated days."""
    first_day = date(2026, 1, 5) + timedelta(days=rng.randrange(7))
    quiet = rng.random() < 0.2
    level = rng.uniform(0.5, 3.0) if quiet else math.exp(rng.uniform(math.log(3), math.log(300)))
    profile = WEEKLY_PROFILES[rng.choice(list(WEEKLY_PROFILES))]
    trend = rng.uniform(-0.004, 0.006)
    negative_base = rng.uniform(0.05, 0.25)
    positive_base = rng.uniform(0.2, 0.5)
    crisis = None
    if crisis_kind is not None:
        onset = first_day + timedelta(days=WARMUP_DAYS + rng.randrange(EVALUATED_DAYS - 4))
        crisis = Crisis(crisis_kind, onset, rng.randint(1, 4) if crisis_kind == "volume" else rng.randint(1, 3))
        size = rng.uniform(2.0, 8.0)
        floor = rng.randint(15, 40)
        multiplier = rng.uniform(1.0, 1.8)
        rise = rng.uniform(0.25, 0.55)
        negative_floor = rng.randint(10, 25)
    days: dict[date, DayCounts] = {}
    for offset in range(WARMUP_DAYS + EVALUATED_DAYS):
        day = first_day + timedelta(days=offset)
        expected = level * profile[day.weekday()] * math.exp(trend * offset)
        mean = expected * rng.gammavariate(25.0, 1 / 25.0)  # day-level noise, CV 20 %
        negative_share = min(negative_base * rng.gammavariate(40.0, 1 / 40.0), 0.9)
        counts = _split(rng, _poisson(rng, mean), negative_share, positive_base)
        if crisis is not None and crisis.onset <= day < crisis.onset + timedelta(days=crisis.days):
            decay = 0.5 ** (day - crisis.onset).days
            if crisis.kind == "volume":
                extra = max(round(size * expected), floor) * decay
                added = _split(rng, _poisson(rng, extra), negative_share, positive_base)
                counts = DayCounts(
                    positive=counts.positive + added.positive,
                    negative=counts.negative + added.negative,
                    neutral=counts.neutral + added.neutral,
                    unlabelled=counts.unlabelled + added.unlabelled,
                )
            else:
                total = _poisson(rng, mean * multiplier)
                counts = _split(rng, total, min(negative_share + rise * decay, 0.95), positive_base * 0.6)
                wanted = round(negative_floor * decay)
                if counts.negative < wanted:
                    counts = DayCounts(
                        positive=counts.positive,
                        negative=wanted,
                        neutral=counts.neutral,
                        unlabelled=counts.unlabelled,
                    )
        days[day] = counts
    return History(first_day=first_day, days=days, crises=[crisis] if crisis else [])


def detect_all(history: History) -> list[Detection]:
    """Every alert the three detectors open over the evaluated days, with a 72-hour cooldown per kind."""
    series = MentionSeries(days=history.days, first_day=history.first_day)
    alerted: dict[str, list[date]] = defaultdict(list)
    alerts: list[Detection] = []
    for offset in range(WARMUP_DAYS, WARMUP_DAYS + EVALUATED_DAYS):
        day = history.first_day + timedelta(days=offset)
        for found in (
            detect_mention_spike(series, day),
            detect_negative_share_spike(series, day),
            detect_sentiment_drop(series, day),
        ):
            if found.fired and not in_cooldown(day, alerted[found.kind], COOLDOWN_HOURS):
                alerted[found.kind].append(day)
                alerts.append(found)
    return alerts


@dataclass
class Tally:
    alerts: int = 0
    true_alerts: int = 0
    crises: int = 0
    found: int = 0
    delays: list[int] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.crises if self.crises else 1.0


def score(histories: list[History]) -> dict[str, Tally]:
    """Precision and recall per kind and overall (an alert on the onset day or the next is a true positive)."""
    tallies: dict[str, Tally] = {kind: Tally() for kind in (*DETECTORS, "overall")}
    for history in histories:
        alerts = detect_all(history)

        def in_window(alert: Detection, crisis: Crisis) -> bool:
            return 0 <= (alert.day - crisis.onset).days <= 1

        for alert in alerts:
            true = any(in_window(alert, crisis) for crisis in history.crises)
            for name in (alert.kind, "overall"):
                tallies[name].alerts += 1
                tallies[name].true_alerts += int(true)
        for crisis in history.crises:
            expected = EXPECTED_KINDS[crisis.kind]
            tallies["overall"].crises += 1
            timely = [alert for alert in alerts if alert.kind in expected and in_window(alert, crisis)]
            if timely:
                tallies["overall"].found += 1
                tallies["overall"].delays.append(min((alert.day - crisis.onset).days for alert in timely))
            for kind in expected:
                tallies[kind].crises += 1
                mine = [alert for alert in timely if alert.kind == kind]
                if mine:
                    tallies[kind].found += 1
                    tallies[kind].delays.append(min((alert.day - crisis.onset).days for alert in mine))
    return tallies


def run(quick: bool = False, seed: int = SEED) -> list[Outcome]:
    """Generate the histories, detect, score; print and return the figures."""
    count = 150 if quick else 600
    rng = random.Random(seed)
    started = time.monotonic()
    kinds: list[str | None] = [None, "volume", "negative"]
    histories = [make_history(rng, kinds[index % 3]) for index in range(count)]
    say(
        f"crisis: {count} synthetic histories (seed {seed}): {count // 3} controls, {count // 3} volume spikes, "
        f"{count // 3} negative surges; {WARMUP_DAYS} warm-up + {EVALUATED_DAYS} evaluated days each"
    )
    tallies = score(histories)
    say(f"crisis: detection and scoring took {time.monotonic() - started:.1f} s")
    outcomes: list[Outcome] = []
    for name, tally in tallies.items():
        delay = sum(tally.delays) / len(tally.delays) if tally.delays else 0.0
        say(
            f"crisis: {name}: precision {tally.precision:.3f} ({tally.true_alerts}/{tally.alerts} alerts), "
            f"recall {tally.recall:.3f} ({tally.found}/{tally.crises} crises), mean delay {delay:.2f} day"
        )
        outcomes.append(
            Outcome(
                "crisis",
                f"{name} precision",
                f"{tally.precision:.3f} ({tally.true_alerts}/{tally.alerts})",
                ">= 0.9",
                tally.precision >= TARGET,
            )
        )
        outcomes.append(
            Outcome(
                "crisis",
                f"{name} recall",
                f"{tally.recall:.3f} ({tally.found}/{tally.crises})",
                ">= 0.9",
                tally.recall >= TARGET,
            )
        )
    return outcomes


if __name__ == "__main__":
    from tests.bench.common import summary

    print(summary(run()))
