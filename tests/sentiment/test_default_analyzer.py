"""The default analyser on clear examples, and the benchmark's metrics on a case computed by hand."""

from __future__ import annotations

import pytest

from api.sentiment import DefaultSentimentAnalyzer, analyse_mention_rows
from api.sentiment.default import label_for
from api.sentiment.language import detect_languages, normalise_language
from plugins.sdk import Sentiment
from tests.bench.sentiment import score

CLEAR = [
    ("I love this bakery, the croissants are amazing!", "en", "positive"),
    ("Worst customer service ever. Never again 😡", "en", "negative"),
    ("The shop opens at 9 on Monday.", "en", "neutral"),
    ("J'adore cette boulangerie, les croissants sont excellents !", "fr", "positive"),
    ("Service client nul, je suis très déçu et en colère.", "fr", "negative"),
    ("La boutique ouvre à 9 heures lundi.", "fr", "neutral"),
    ("Ce n'est pas bon du tout.", "fr", "negative"),
    ("Merci pour votre accueil, une équipe formidable 😍", "fr", "positive"),
]


@pytest.fixture(scope="module")
def analyzer() -> DefaultSentimentAnalyzer:
    return DefaultSentimentAnalyzer()


def test_clear_english_and_french_examples_get_their_language_and_label(analyzer: DefaultSentimentAnalyzer) -> None:
    results = analyzer.analyse([text for text, _, _ in CLEAR])

    assert [(r.language, r.label) for r in results] == [(language, label) for _, language, label in CLEAR]
    for result in results:
        assert -1 <= result.score <= 1
        assert result.label == label_for(result.score)


def test_french_negation_turns_a_positive_word_negative(analyzer: DefaultSentimentAnalyzer) -> None:
    good, not_good = analyzer.analyse(["Le pain est bon.", "Le pain n'est pas bon."], ["fr", "fr"])

    assert good.label == "positive"
    assert not_good.label == "negative"
    assert not_good.score < 0 < good.score


def test_a_language_hint_is_trusted_and_other_languages_are_neutral(analyzer: DefaultSentimentAnalyzer) -> None:
    results = analyzer.analyse(["Das ist wunderbar, danke!", "I love it!"], ["de-DE", None])

    assert results == [
        Sentiment(language="de", label="neutral", score=0.0),
        Sentiment(language="en", label="positive", score=results[1].score),
    ]
    assert results[1].score > 0.5


def test_detection_of_spanish_is_recorded_but_not_scored(analyzer: DefaultSentimentAnalyzer) -> None:
    (result,) = analyzer.analyse(["Me encanta esta panadería, es la mejor de la ciudad"])

    assert result == Sentiment(language="es", label="neutral", score=0.0)


def test_texts_too_short_to_tell_have_no_language_and_are_neutral(analyzer: DefaultSentimentAnalyzer) -> None:
    assert detect_languages(["", "@user http"]) == [None, None]
    assert analyzer.analyse(["@user"]) == [Sentiment(language=None, label="neutral", score=0.0)]


def test_language_tags_are_normalised() -> None:
    assert [normalise_language(tag) for tag in ("fr-CA", "EN_us", "", None, " pt ")] == ["fr", "en", None, None, "pt"]


def test_vader_thresholds() -> None:
    assert [label_for(s) for s in (0.05, 0.0499, 0.0, -0.0499, -0.05)] == [
        "positive",
        "neutral",
        "neutral",
        "neutral",
        "negative",
    ]


def test_mention_rows_keep_their_own_language(analyzer: DefaultSentimentAnalyzer) -> None:
    rows = [{"text": "I love it!", "language": "fr"}, {"text": "I love it!", "language": None}]

    analyse_mention_rows(analyzer, rows)

    assert rows[0]["language"] == "fr"
    assert rows[0]["sentiment_label"] == "neutral"  # scored with the French lexicon, where "love" means nothing
    assert rows[1]["language"] == "en"
    assert rows[1]["sentiment_label"] == "positive"


def test_sentiment_refuses_a_score_out_of_range_or_an_unknown_label() -> None:
    with pytest.raises(ValueError, match="score"):
        Sentiment(language="en", label="positive", score=1.5)
    with pytest.raises(ValueError, match="label"):
        Sentiment(language="en", label="happy", score=0.5)  # type: ignore[arg-type]


def test_accuracy_and_macro_f1_on_a_case_computed_by_hand() -> None:
    gold = ["positive", "positive", "positive", "neutral", "neutral", "negative", "negative", "negative"]
    predicted = ["positive", "positive", "neutral", "neutral", "negative", "negative", "negative", "positive"]

    scores = score(gold, predicted)

    # positive: TP 2, predicted 3, actual 3 -> P = R = 2/3, F1 = 2/3
    # neutral:  TP 1, predicted 2, actual 2 -> P = R = 1/2, F1 = 1/2
    # negative: TP 2, predicted 3, actual 3 -> P = R = 2/3, F1 = 2/3
    assert scores.accuracy == pytest.approx(5 / 8)
    assert scores.f1 == pytest.approx({"positive": 2 / 3, "neutral": 1 / 2, "negative": 2 / 3})
    assert scores.macro_f1 == pytest.approx((2 / 3 + 1 / 2 + 2 / 3) / 3)
    assert scores.confusion["positive"] == {"positive": 2, "neutral": 1, "negative": 0}
    assert scores.confusion["negative"] == {"positive": 1, "neutral": 0, "negative": 2}


def test_a_label_never_predicted_has_f1_zero() -> None:
    scores = score(["positive", "neutral"], ["positive", "positive"])

    # positive: P = 1/2, R = 1, F1 = 2/3; neutral never predicted: F1 = 0; negative absent: F1 = 0
    assert scores.f1 == pytest.approx({"positive": 2 / 3, "neutral": 0.0, "negative": 0.0})
    assert scores.macro_f1 == pytest.approx(2 / 9)
    assert scores.accuracy == 0.5
