"""The report's words and number formats in English and French (numbers and dates through Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

Language = Literal["en", "fr"]

LABELS: dict[str, dict[Language, str]] = {
    "report_title": {"en": "Social media report", "fr": "Rapport réseaux sociaux"},
    "period": {"en": "Period: {start} to {end}", "fr": "Période : du {start} au {end}"},
    "generated": {"en": "Generated on", "fr": "Généré le"},
    "summary": {"en": "Summary", "fr": "Synthèse"},
    "logo_problem": {"en": "The client's logo is not shown", "fr": "Le logo du client n'est pas affiché"},
    "followers": {"en": "Followers", "fr": "Abonnés"},
    "impressions": {"en": "Impressions", "fr": "Impressions"},
    "reach": {"en": "Reach", "fr": "Portée"},
    "engagements": {"en": "Engagements", "fr": "Interactions"},
    "engagement_rate": {"en": "Engagement rate", "fr": "Taux d'engagement"},
    "posts": {"en": "Posts published", "fr": "Publications"},
    "mentions": {"en": "Mentions", "fr": "Mentions"},
    "week": {"en": "Week", "fr": "Semaine"},
    "weekly_activity": {"en": "Weekly impressions and engagements", "fr": "Impressions et interactions par semaine"},
    "change_note": {
        "en": "Changes compare with the previous period of the same length.",
        "fr": "Les évolutions comparent à la période précédente de même durée.",
    },
    "engagement_rate_note": {
        "en": "Engagement rate = engagements ÷ reach ({denominator}).",
        "fr": "Taux d'engagement = interactions ÷ portée ({denominator}).",
    },
    "reach_denominator": {"en": "reach as reported", "fr": "portée déclarée"},
    "impressions_denominator": {
        "en": "impressions, as no reach was reported",
        "fr": "impressions, aucune portée n'étant déclarée",
    },
    "followers_note": {
        "en": "Followers: the last value of the period, summed over the client's own accounts.",
        "fr": "Abonnés : dernière valeur de la période, additionnée sur les comptes du client.",
    },
    "employer_brand": {"en": "Employer brand", "fr": "Marque employeur"},
    "employer_brand_index": {"en": "Employer-brand index (0-100)", "fr": "Indice de marque employeur (0-100)"},
    "component": {"en": "Component", "fr": "Composante"},
    "score": {"en": "Score", "fr": "Score"},
    "weight": {"en": "Weight", "fr": "Poids"},
    "not_measured": {"en": "not measured", "fr": "non mesuré"},
    "content": {"en": "Employer content", "fr": "Contenus employeur"},
    "audience": {"en": "Professional audience", "fr": "Audience professionnelle"},
    "sentiment": {"en": "Sentiment", "fr": "Sentiment"},
    "conversions": {"en": "Applications", "fr": "Candidatures"},
    "employer_brand_note": {
        "en": "Each component is scored 0-100; the index is their weighted mean. Definitions: {url}",
        "fr": "Chaque composante est notée de 0 à 100 ; l'indice en est la moyenne pondérée. Définitions : {url}",
    },
}


def label(key: str, language: Language, **values: str) -> str:
    """The text of `key` in `language`, with `{placeholders}` filled."""
    text = LABELS[key][language]
    return text.format(**values) if values else text


def number(value: float | int | Decimal, language: Language, *, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language)


def percent(value: float, language: Language, *, digits: int = 1) -> str:
    """A percentage in the language's own pattern (`5.0%` in English, `5,0 %` in French)."""
    pattern = Locale.parse(language).percent_formats[None].pattern
    return format_percent(value, format=pattern.replace("#,##0", "#,##0." + "0" * digits, 1), locale=language)


def money(value: float | Decimal, currency: str, language: Language) -> str:
    return format_currency(value, currency, locale=language)


def day(value: date, language: Language) -> str:
    return format_date(value, format="long", locale=language)
