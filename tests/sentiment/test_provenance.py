"""Which analyser gave each label: the stored names and versions, and the rule that a label is history."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from api.sentiment import GuardedAnalyzer, analyse_mention_rows, default_analyzer, warm_up
from api.sentiment.language import detect_languages
from api.sentiment.provenance import STORED_LENGTH, Provenance, stored_form
from api.sentiment.stored_labels import carry_stored_labels
from plugins.sdk import Sentiment
from tests.plugins_fixtures.upgraded_analyzer import UpgradedAnalyzer


class BrokenAnalyzer(UpgradedAnalyzer):
    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        raise RuntimeError("the model file is missing")


def test_short_names_and_versions_are_stored_as_they_are() -> None:
    assert stored_form("resonance-default") == "resonance-default"
    assert stored_form("x" * STORED_LENGTH) == "x" * STORED_LENGTH


def test_long_ones_are_shortened_with_a_hash_that_keeps_them_apart() -> None:
    common = "multilingual-sentiment-model with a very long release name, build "
    first, second = stored_form(common + "2026-11-01"), stored_form(common + "2026-12-01")

    assert len(first) == len(second) == STORED_LENGTH
    assert first.startswith(common[:55] + "~")
    assert first != second
    assert stored_form(common + "2026-11-01") == first  # the same value always gives the same stored form


def test_a_plugin_that_works_labels_with_its_own_provenance() -> None:
    rows = [{"text": "I love it", "language": None}, {"text": "Terrible", "language": "en"}]

    analyse_mention_rows(GuardedAnalyzer(UpgradedAnalyzer(), "upgraded"), rows)

    assert [(row["sentiment_analyzer"], row["sentiment_version"]) for row in rows] == [("upgraded-model", "2.0")] * 2
    assert [row["sentiment_label"] for row in rows] == ["negative", "negative"]


def test_a_failing_plugin_records_the_default_analyser_that_really_labelled() -> None:
    rows = [{"text": "I love this bakery, the croissants are amazing!", "language": None}]

    analyse_mention_rows(GuardedAnalyzer(BrokenAnalyzer(), "broken"), rows)

    default = default_analyzer()
    assert (rows[0]["sentiment_analyzer"], rows[0]["sentiment_version"]) == (default.name, default.version)
    assert rows[0]["sentiment_label"] == "positive"


def test_the_default_analysers_provenance_is_its_name_and_version() -> None:
    rows = [{"text": "Service client nul, je suis très déçu.", "language": "fr"}]

    analyse_mention_rows(default_analyzer(), rows)

    assert Provenance(rows[0]["sentiment_analyzer"], rows[0]["sentiment_version"]) == Provenance.of(
        "resonance-default", default_analyzer().version
    )
    assert rows[0]["sentiment_label"] == "negative"


def _stored(text: str, label: str | None) -> dict[str, object]:
    return {
        "text": text,
        "language": "fr",
        "sentiment_label": label,
        "sentiment_score": -0.5 if label else None,
        "sentiment_analyzer": "old-lexicon" if label else None,
        "sentiment_version": "1" if label else None,
        "aspects": ["price"] if label else [],
    }


def test_only_new_changed_or_unlabelled_mentions_are_left_to_analyse() -> None:
    rows = [
        {"source": "x", "external_id": "same", "text": "Trop cher", "language": None},
        {"source": "x", "external_id": "edited", "text": "Trop cher, vraiment", "language": None},
        {"source": "x", "external_id": "unlabelled", "text": "Bof", "language": None},
        {"source": "x", "external_id": "new", "text": "Super", "language": None},
    ]
    stored = {
        ("x", "same"): _stored("Trop cher", "negative"),
        ("x", "edited"): _stored("Trop cher", "negative"),
        ("x", "unlabelled"): _stored("Bof", None),
    }

    to_analyse = carry_stored_labels(rows, stored)

    assert [row["external_id"] for row in to_analyse] == ["edited", "unlabelled", "new"]
    kept = rows[0]
    assert (kept["sentiment_label"], kept["sentiment_analyzer"], kept["sentiment_version"]) == (
        "negative",
        "old-lexicon",
        "1",
    )
    assert (kept["aspects"], kept["language"]) == (["price"], "fr")
    assert "sentiment_label" not in rows[1]


def test_warming_up_an_analyser_that_fails_logs_and_lets_the_worker_start(caplog: pytest.LogCaptureFixture) -> None:
    broken = BrokenAnalyzer()

    with caplog.at_level(logging.WARNING, logger="resonance.sentiment"):
        warm_up(broken)

    assert "warming the sentiment analyser up failed" in caplog.text


def test_warming_up_analyses_an_english_and_a_french_text() -> None:
    upgraded = UpgradedAnalyzer()

    warm_up(upgraded)

    assert len(upgraded.texts) == 2
    assert detect_languages(upgraded.texts) == ["en", "fr"]


def test_analysed_rows_get_their_aspects_in_the_language_found() -> None:
    rows = [
        {"text": "Livraison en retard et colis abîmé, remboursez-moi", "language": None},
        {"text": "The app keeps crashing and support never answers", "language": "en"},
        {"text": "Bonne journée à tous", "language": "fr"},
    ]

    analyse_mention_rows(default_analyzer(), rows)

    assert [row["aspects"] for row in rows] == [["delivery", "quality", "billing"], ["service", "app"], []]
    assert rows[0]["language"] == "fr"
