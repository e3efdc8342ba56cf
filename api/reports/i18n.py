"""The report's words and number formats in English and French (numbers and dates through Babel)."""

from __future__ import annotations

from dataclasses import dataclass
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
    "presence": {"en": "Presence", "fr": "Présence"},
    "account": {"en": "Account", "fr": "Compte"},
    "posts_per_week": {"en": "Posts per week", "fr": "Publications par semaine"},
    "days_since_last_post": {"en": "Days since last post", "fr": "Jours depuis la dernière publication"},
    "longest_silence": {"en": "Longest silence (days)", "fr": "Plus long silence (jours)"},
    "regularity": {"en": "Regularity (0-100)", "fr": "Régularité (0-100)"},
    "audience_growth_pct": {"en": "Audience growth (%)", "fr": "Croissance de l'audience (%)"},
    "presence_note": {
        "en": "Regularity = 100 × mean over whole weeks of min(1, posts ÷ weekly target); empty without a target.",
        "fr": "Régularité = 100 × moyenne sur les semaines pleines de min(1, publications ÷ objectif hebdomadaire) ;"
        " vide sans objectif.",
    },
    "net_sentiment_by_week": {"en": "Net sentiment by week", "fr": "Sentiment net par semaine"},
    "net_sentiment": {"en": "Net sentiment", "fr": "Sentiment net"},
    "positive": {"en": "Positive", "fr": "Positives"},
    "negative": {"en": "Negative", "fr": "Négatives"},
    "neutral": {"en": "Neutral", "fr": "Neutres"},
    "most_negative": {"en": "Most negative mentions", "fr": "Mentions les plus négatives"},
    "published": {"en": "Published", "fr": "Publiée le"},
    "text": {"en": "Text", "fr": "Texte"},
    "net_sentiment_note": {
        "en": "Net sentiment = (positive − negative) ÷ all mentions, from −100 % to +100 %.",
        "fr": "Sentiment net = (positives − négatives) ÷ toutes les mentions, de −100 % à +100 %.",
    },
    "benchmark": {"en": "Competitors", "fr": "Concurrents"},
    "share_of_voice": {"en": "Share of voice", "fr": "Part de voix"},
    "percentile_engagement_rate": {
        "en": "Percentile among peers: engagement rate",
        "fr": "Centile parmi les pairs : taux d'engagement",
    },
    "percentile_growth": {"en": "Percentile among peers: growth", "fr": "Centile parmi les pairs : croissance"},
    "percentile_cadence": {"en": "Percentile among peers: cadence", "fr": "Centile parmi les pairs : cadence"},
    "side": {"en": "Side", "fr": "Camp"},
    "accounts": {"en": "Accounts", "fr": "Comptes"},
    "audience_size": {"en": "Audience", "fr": "Audience"},
    "growth_pct": {"en": "Growth (%)", "fr": "Croissance (%)"},
    "owned": {"en": "Client", "fr": "Client"},
    "competitors": {"en": "Competitors", "fr": "Concurrents"},
    "benchmark_note": {
        "en": "Share of voice = mentions of the client's accounts ÷ mentions of all accounts compared. Percentiles "
        "place the client among the agency's clients of the same industry, anonymously.",
        "fr": "Part de voix = mentions des comptes du client ÷ mentions de tous les comptes comparés. Les centiles "
        "situent le client parmi les clients de l'agence du même secteur, anonymement.",
    },
    "objectives": {"en": "Objectives", "fr": "Objectifs"},
    "objective": {"en": "Objective", "fr": "Objectif"},
    "period_short": {"en": "Period", "fr": "Période"},
    "target": {"en": "Target", "fr": "Cible"},
    "value": {"en": "Value", "fr": "Valeur"},
    "forecast": {"en": "Forecast", "fr": "Prévision"},
    "status": {"en": "Status", "fr": "Statut"},
    "driver": {"en": "Main driver", "fr": "Principal facteur"},
    "no_objectives": {"en": "No objective is set for this client.", "fr": "Aucun objectif n'est fixé pour ce client."},
    "status_not_started": {"en": "not started", "fr": "pas commencé"},
    "status_on_track": {"en": "on track", "fr": "en bonne voie"},
    "status_off_track": {"en": "off track", "fr": "en retard"},
    "status_achieved": {"en": "achieved", "fr": "atteint"},
    "status_missed": {"en": "missed", "fr": "manqué"},
    "status_no_data": {"en": "no data", "fr": "pas de données"},
    "alerts": {"en": "Alerts", "fr": "Alertes"},
    "alerts_opened": {"en": "Alerts in the period", "fr": "Alertes sur la période"},
    "alerts_still_open": {"en": "Still open", "fr": "Encore ouvertes"},
    "day": {"en": "Day", "fr": "Jour"},
    "alert_kind": {"en": "Alert", "fr": "Alerte"},
    "observed": {"en": "Observed", "fr": "Observé"},
    "threshold": {"en": "Threshold", "fr": "Seuil"},
    "alert_mention_spike": {"en": "Mention spike", "fr": "Pic de mentions"},
    "alert_negative_share_spike": {"en": "Negative share spike", "fr": "Hausse de la part négative"},
    "alert_sentiment_drop": {"en": "Sentiment drop", "fr": "Chute du sentiment"},
    "alert_silence": {"en": "Silence", "fr": "Silence"},
    "alert_objective_off_track": {"en": "Objective off track", "fr": "Objectif en retard"},
    "alert_status_open": {"en": "open", "fr": "ouverte"},
    "alert_status_acknowledged": {"en": "acknowledged", "fr": "prise en compte"},
    "alert_status_resolved": {"en": "resolved", "fr": "résolue"},
    "alerts_note": {
        "en": "Each alert's evidence (baseline, observed value, top mentions) is in GET /v1/alerts/{alert_id}.",
        "fr": "Les preuves de chaque alerte (référence, valeur observée, mentions) sont dans "
        "GET /v1/alerts/{alert_id}.",
    },
    "missing_content": {
        "en": "Employer content: no employer-brand post with reach in the period.",
        "fr": "Contenus employeur : aucune publication marque employeur avec une portée sur la période.",
    },
    "missing_audience": {
        "en": "Professional audience: no follower count on a professional network in the period.",
        "fr": "Audience professionnelle : aucun nombre d'abonnés sur un réseau professionnel sur la période.",
    },
    "missing_sentiment": {
        "en": "Sentiment: no analysed mention about working there in the period.",
        "fr": "Sentiment : aucune mention analysée sur le fait d'y travailler sur la période.",
    },
    "missing_conversions": {
        "en": "Applications: none recorded in the ROI ledger, or no employer-brand reach to relate them to.",
        "fr": "Candidatures : aucune saisie dans le registre ROI, ou aucune portée marque employeur à laquelle "
        "les rapporter.",
    },
    "roi": {"en": "Return on investment", "fr": "Retour sur investissement"},
    "cost": {"en": "Cost", "fr": "Coût"},
    "roi_ratio": {"en": "ROI", "fr": "ROI"},
    "roas": {"en": "ROAS", "fr": "ROAS"},
    "emv": {"en": "Earned media value (not in ROI)", "fr": "Valeur média gagnée (hors ROI)"},
    "roi_by_network": {"en": "By network", "fr": "Par réseau"},
    "network": {"en": "Network", "fr": "Réseau"},
    "roi_note": {
        "en": "ROI = (value − cost) ÷ cost; ROAS = conversion revenue ÷ ad spend; earned media value is shown apart.",
        "fr": "ROI = (valeur − coût) ÷ coût ; ROAS = chiffre d'affaires des conversions ÷ dépenses publicitaires ;"
        " la valeur média gagnée est présentée à part.",
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


@dataclass(frozen=True, slots=True)
class Words:
    """The report's words and number formats in one language: what every section and renderer is handed.

    Sections ask `words("presence")` instead of threading the language through every `label`, `number`,
    `percent`, `money` and `day` call; a section is written once for every language.
    """

    language: Language

    def __call__(self, key: str, **values: str) -> str:
        """The text of `key`, with `{placeholders}` filled (`label`)."""
        return label(key, self.language, **values)

    def each(self, *keys: str) -> list[str]:
        """The texts of `keys`, in order (a table's column titles)."""
        return [label(key, self.language) for key in keys]

    def number(self, value: float | int | Decimal, *, digits: int = 0) -> str:
        """A number with the language's separators and `digits` decimal places."""
        return number(value, self.language, digits=digits)

    def percent(self, value: float, *, digits: int = 1) -> str:
        """A percentage in the language's pattern (`percent`)."""
        return percent(value, self.language, digits=digits)

    def money(self, value: float | Decimal, currency: str) -> str:
        """An amount of `currency` in the language's pattern."""
        return money(value, currency, self.language)

    def day(self, value: date) -> str:
        """A date in the language's long format."""
        return day(value, self.language)
