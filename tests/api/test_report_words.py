"""The report's words in one language (`api.reports.i18n.Words`): what every section and renderer is handed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from api.reports.i18n import LABELS, Words


def test_every_word_exists_in_both_languages() -> None:
    assert all(texts.en and texts.fr for texts in LABELS.values())


def test_words_speak_the_language_they_were_made_for() -> None:
    words = Words("fr")

    assert words("presence") == "Présence"
    assert words("period", start="1", end="2") == "Période : du 1 au 2"
    assert words.each("account", "posts") == ["Compte", "Publications"]


def test_words_format_numbers_money_and_days_in_their_language() -> None:
    english, french = Words("en"), Words("fr")

    assert english.number(1234.5, digits=1) == "1,234.5"
    assert french.number(1234.5, digits=1) == "1\u202f234,5"
    assert english.percent(0.05) == "5.0%"
    assert french.percent(0.05) == "5,0\u00a0%"
    assert english.money(Decimal("12.5"), "EUR") == "€12.50"
    assert english.day(date(2026, 3, 1)) == "March 1, 2026"
