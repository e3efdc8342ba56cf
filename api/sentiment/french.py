"""French sentiment: the VADER engine given a French lexicon, French negations and the contrastive `mais`.

The lexicon and emoji descriptions come from vaderSentiment-fr (MIT, see `data/README.md`). VADER's
English rules that live in module constants (boosters such as "very", idioms) do not apply to French;
negation and the contrastive conjunction are the two rules that change a label, so they are redone here.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from vaderSentiment.vaderSentiment import N_SCALAR, SentimentIntensityAnalyzer

DATA = Path(__file__).parent / "data"

NEGATIONS = frozenset({"pas", "jamais", "rien", "aucun", "aucune", "aucunement", "nullement", "sans", "ni", "personne"})
"""Words that invert the valence of a sentiment word up to three words after them (`pas terrible`,
`n'est jamais bon`, `sans intérêt`). `plus` is left out: `le plus beau` is far more common in posts than
`ne … plus`."""

_ELISION = re.compile(r"\b([cdjlmnst]|qu|jusqu|lorsqu|puisqu)['\u2019]", re.IGNORECASE)


def split_elisions(text: str) -> str:
    """`l'écologie` → `l écologie`, so the word after an elided article or pronoun is found in the lexicon."""
    return _ELISION.sub(r"\1 ", text)


class FrenchVader(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """VADER over the French lexicon."""

    def __init__(self) -> None:
        # VADER joins these to its own directory; an absolute path wins in os.path.join.
        super().__init__(lexicon_file=str(DATA / "fr_lexicon.tsv"), emoji_lexicon=str(DATA / "fr_emoji.tsv"))

    def polarity_scores(self, text: str) -> dict[str, float]:
        """VADER's scores (`compound` from -1 to 1) for a French text."""
        scores: dict[str, float] = super().polarity_scores(split_elisions(text))
        return scores

    @staticmethod
    def _negation_check(valence: float, words_and_emoticons: list[Any], start_i: int, i: int) -> float:
        preceding = str(words_and_emoticons[i - (start_i + 1)]).lower()
        return valence * N_SCALAR if preceding in NEGATIONS else valence

    @staticmethod
    def _but_check(words_and_emoticons: list[Any], sentiments: list[float]) -> list[float]:
        lowered = [str(word).lower() for word in words_and_emoticons]
        if "mais" not in lowered:
            return sentiments
        pivot = lowered.index("mais")
        return [
            value * 0.5 if index < pivot else value * 1.5 if index > pivot else value
            for index, value in enumerate(sentiments)
        ]


@cache
def french_vader() -> FrenchVader:
    """The French analyser (loaded once per process)."""
    return FrenchVader()
