"""Sentiment benchmark: the default analyser's accuracy and macro-F1 per language on labelled real tweets,
and its cost per mention.

The labelled set is `tests/bench/data/sentiment/` (UMSAB validation tweets, provenance in its README).
Every text goes through the analyser exactly as a synced mention without a language would: language
detected, then scored. No database is needed.
"""

from __future__ import annotations

import csv
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.bench.common import Outcome, say

DATA = Path(__file__).parent / "data" / "sentiment"
LANGUAGES = {"en": "english.tsv", "fr": "french.tsv"}
LABELS = ("positive", "neutral", "negative")
ACCURACY_TARGET = 0.5
"""Chance on three balanced classes is 0.33; below 0.5 the default analyser would not be worth shipping."""


@dataclass(frozen=True)
class Scores:
    """How predictions compare with the gold labels."""

    accuracy: float
    macro_f1: float
    f1: dict[str, float]
    confusion: dict[str, dict[str, int]]
    """confusion[gold][predicted] = count."""


def score(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> Scores:
    """Accuracy, per-label F1 and macro-F1 (the unweighted mean of the labels' F1), and the confusion matrix.

    A label's F1 is 2PR / (P + R), taken as 0 when it is never predicted or never true.
    """
    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted must be non-empty and of the same length")
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    f1: dict[str, float] = {}
    for label in labels:
        true_positive = confusion[label][label]
        predicted_as = sum(confusion[g][label] for g in labels)
        actually = sum(confusion[label].values())
        precision = true_positive / predicted_as if predicted_as else 0.0
        recall = true_positive / actually if actually else 0.0
        f1[label] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    correct = sum(confusion[label][label] for label in labels)
    return Scores(accuracy=correct / len(gold), macro_f1=sum(f1.values()) / len(labels), f1=f1, confusion=confusion)


def load(language: str) -> tuple[list[str], list[str]]:
    """(texts, gold labels) of one language's labelled set."""
    with (DATA / LANGUAGES[language]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row["text"] for row in rows], [row["label"] for row in rows]


def confusion_table(scores: Scores) -> str:
    """The confusion matrix as text: one row per gold label, one column per predicted label."""
    head = "gold \\ predicted".ljust(18) + "".join(label.rjust(10) for label in LABELS)
    rows = [label.ljust(18) + "".join(str(scores.confusion[label][p]).rjust(10) for p in LABELS) for label in LABELS]
    return "\n".join([head, *rows])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(quick: bool) -> list[Outcome]:
    """Score both languages, then time the analyser on the whole set, with and without language hints."""
    from api.sentiment import default_analyzer

    outcomes: list[Outcome] = []
    rss_before = _rss_mb()
    analyzer = default_analyzer()
    started = time.perf_counter()
    analyzer.analyse(["warm-up", "échauffement"])
    load_seconds = time.perf_counter() - started
    say(f"sentiment: analyser {analyzer.name} {analyzer.version} loaded in {load_seconds:.2f} s")
    all_texts: list[str] = []
    for language in LANGUAGES:
        texts, gold = load(language)
        all_texts += texts
        results = analyzer.analyse(texts)
        scores = score(gold, [result.label for result in results])
        hinted = score(gold, [result.label for result in analyzer.analyse(texts, [language] * len(texts))])
        detected = sum(result.language == language for result in results) / len(texts)
        say(
            f"sentiment {language}: {len(texts)} tweets, accuracy {scores.accuracy:.3f}, macro-F1 "
            f"{scores.macro_f1:.3f} (F1 " + ", ".join(f"{k} {v:.3f}" for k, v in scores.f1.items()) + ")"
        )
        print(confusion_table(scores), flush=True)
        outcomes += [
            Outcome(
                "sentiment",
                f"{language}: accuracy ({len(texts)} tweets)",
                f"{scores.accuracy:.3f}",
                f"≥ {ACCURACY_TARGET}",
                scores.accuracy >= ACCURACY_TARGET,
            ),
            Outcome("sentiment", f"{language}: macro-F1", f"{scores.macro_f1:.3f}", "", None),
            Outcome("sentiment", f"{language}: language detected as {language}", f"{detected:.3f}", "", None),
            Outcome(
                "sentiment",
                f"{language}: accuracy / macro-F1 with the language given",
                f"{hinted.accuracy:.3f} / {hinted.macro_f1:.3f}",
                "",
                None,
            ),
        ]
    rounds = 3 if quick else 20
    for hinted_run in (False, True):
        hints = None
        if hinted_run:
            hints = [language for language in LANGUAGES for _ in range(len(load(language)[0]))]
        started = time.perf_counter()
        for _ in range(rounds):
            analyzer.analyse(all_texts, hints)
        per_mention = (time.perf_counter() - started) / (rounds * len(all_texts))
        label = "language given" if hinted_run else "language detected"
        say(f"sentiment: {per_mention * 1e6:.0f} µs per mention ({label}), {1 / per_mention:,.0f} mentions/s")
        outcomes.append(
            Outcome(
                "sentiment",
                f"time per mention, {label} (1 core)",
                f"{per_mention * 1e3:.2f} ms",
                "< 1 ms",
                per_mention < 0.001,
            )
        )
    outcomes.append(
        Outcome(
            "sentiment", "memory of the loaded analyser (peak RSS growth)", f"{_rss_mb() - rss_before:.0f} MB", "", None
        )
    )
    return outcomes
