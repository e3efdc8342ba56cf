"""The report's words and number formats in English and French (numbers and dates through Babel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

Language = Literal["en", "fr"]


class Texts(NamedTuple):
    """One of the report's words, in each of its languages (a new language is a new field: mypy then names every
    word still to translate)."""

    en: str
    fr: str


LABELS: dict[str, Texts] = {
    "report_title": Texts("Social media report", "Rapport réseaux sociaux"),
    "period": Texts("Period: {start} to {end}", "Période : du {start} au {end}"),
    "generated": Texts("Generated on", "Généré le"),
    "summary": Texts("Summary", "Synthèse"),
    "logo_problem": Texts("The client's logo is not shown", "Le logo du client n'est pas affiché"),
    "followers": Texts("Followers", "Abonnés"),
    "impressions": Texts("Impressions", "Impressions"),
    "reach": Texts("Reach", "Portée"),
    "engagements": Texts("Engagements", "Interactions"),
    "engagement_rate": Texts("Engagement rate", "Taux d'engagement"),
    "posts": Texts("Posts published", "Publications"),
    "mentions": Texts("Mentions", "Mentions"),
    "week": Texts("Week", "Semaine"),
    "weekly_activity": Texts("Weekly impressions and engagements", "Impressions et interactions par semaine"),
    "change_note": Texts(
        "Changes compare with the previous period of the same length.",
        "Les évolutions comparent à la période précédente de même durée.",
    ),
    "engagement_rate_note": Texts(
        "Engagement rate = engagements ÷ reach ({denominator}).",
        "Taux d'engagement = interactions ÷ portée ({denominator}).",
    ),
    "reach_denominator": Texts("reach as reported", "portée déclarée"),
    "impressions_denominator": Texts(
        "impressions, as no reach was reported",
        "impressions, aucune portée n'étant déclarée",
    ),
    "followers_note": Texts(
        "Followers: the last value of the period, summed over the client's own accounts.",
        "Abonnés : dernière valeur de la période, additionnée sur les comptes du client.",
    ),
    "employer_brand": Texts("Employer brand", "Marque employeur"),
    "employer_brand_index": Texts("Employer-brand index (0-100)", "Indice de marque employeur (0-100)"),
    "component": Texts("Component", "Composante"),
    "score": Texts("Score", "Score"),
    "weight": Texts("Weight", "Poids"),
    "not_measured": Texts("not measured", "non mesuré"),
    "content": Texts("Employer content", "Contenus employeur"),
    "audience": Texts("Professional audience", "Audience professionnelle"),
    "sentiment": Texts("Sentiment", "Sentiment"),
    "conversions": Texts("Applications", "Candidatures"),
    "employer_brand_note": Texts(
        "Each component is scored 0-100; the index is their weighted mean. Definitions: {url}",
        "Chaque composante est notée de 0 à 100 ; l'indice en est la moyenne pondérée. Définitions : {url}",
    ),
    "presence": Texts("Presence", "Présence"),
    "account": Texts("Account", "Compte"),
    "posts_per_week": Texts("Posts per week", "Publications par semaine"),
    "days_since_last_post": Texts("Days since last post", "Jours depuis la dernière publication"),
    "longest_silence": Texts("Longest silence (days)", "Plus long silence (jours)"),
    "regularity": Texts("Regularity (0-100)", "Régularité (0-100)"),
    "audience_growth_pct": Texts("Audience growth (%)", "Croissance de l'audience (%)"),
    "presence_note": Texts(
        "Regularity = 100 × mean over whole weeks of min(1, posts ÷ weekly target); empty without a target.",
        "Régularité = 100 × moyenne sur les semaines pleines de min(1, publications ÷ objectif hebdomadaire) ; vide "
        "sans objectif.",
    ),
    "net_sentiment_by_week": Texts("Net sentiment by week", "Sentiment net par semaine"),
    "net_sentiment": Texts("Net sentiment", "Sentiment net"),
    "positive": Texts("Positive", "Positives"),
    "negative": Texts("Negative", "Négatives"),
    "neutral": Texts("Neutral", "Neutres"),
    "most_negative": Texts("Most negative mentions", "Mentions les plus négatives"),
    "published": Texts("Published", "Publiée le"),
    "text": Texts("Text", "Texte"),
    "net_sentiment_note": Texts(
        "Net sentiment = (positive − negative) ÷ all mentions, from −100 % to +100 %.",
        "Sentiment net = (positives − négatives) ÷ toutes les mentions, de −100 % à +100 %.",
    ),
    "aspects": Texts("Topics of the mentions", "Sujets des mentions"),
    "aspect": Texts("Topic", "Sujet"),
    "aspect_price": Texts("Price", "Prix"),
    "aspect_service": Texts("Service", "Service"),
    "aspect_delivery": Texts("Delivery", "Livraison"),
    "aspect_quality": Texts("Quality", "Qualité"),
    "aspect_hiring": Texts("Hiring", "Recrutement"),
    "aspect_app": Texts("App", "Application"),
    "aspect_staff": Texts("Staff", "Personnel"),
    "aspect_billing": Texts("Billing", "Facturation"),
    "aspect_none": Texts("No topic", "Sans sujet"),
    "mentions_with_aspect": Texts("Mentions with a topic", "Mentions avec un sujet"),
    "most_negative_aspect": Texts(
        "Topic with the most negative mentions", "Sujet qui porte le plus de mentions négatives"
    ),
    "share_of_negative": Texts("Share of negative mentions", "Part des mentions négatives"),
    "negative_by_aspect": Texts("Negative mentions by topic", "Mentions négatives par sujet"),
    "aspects_note": Texts(
        "A mention's topics come from French and English keywords (catalogue version {version}); a mention can "
        "have several. Share of negative mentions = the topic's negative mentions ÷ all negative mentions of the "
        "period, so shares can add up to more than 100 %.",
        "Les sujets d'une mention viennent de mots-clés français et anglais (catalogue version {version}) ; une "
        "mention peut en avoir plusieurs. Part des mentions négatives = mentions négatives du sujet ÷ toutes les "
        "mentions négatives de la période : les parts peuvent dépasser 100 % au total.",
    ),
    "benchmark": Texts("Competitors", "Concurrents"),
    "share_of_voice": Texts("Share of voice", "Part de voix"),
    "percentile_engagement_rate": Texts(
        "Percentile among peers: engagement rate",
        "Centile parmi les pairs : taux d'engagement",
    ),
    "percentile_growth": Texts("Percentile among peers: growth", "Centile parmi les pairs : croissance"),
    "percentile_cadence": Texts("Percentile among peers: cadence", "Centile parmi les pairs : cadence"),
    "side": Texts("Side", "Camp"),
    "accounts": Texts("Accounts", "Comptes"),
    "audience_size": Texts("Audience", "Audience"),
    "growth_pct": Texts("Growth (%)", "Croissance (%)"),
    "owned": Texts("Client", "Client"),
    "competitors": Texts("Competitors", "Concurrents"),
    "benchmark_note": Texts(
        "Share of voice = mentions of the client's accounts ÷ mentions of all accounts compared. Percentiles place "
        "the client among the agency's clients of the same industry, anonymously.",
        "Part de voix = mentions des comptes du client ÷ mentions de tous les comptes comparés. Les centiles situent "
        "le client parmi les clients de l'agence du même secteur, anonymement.",
    ),
    "objectives": Texts("Objectives", "Objectifs"),
    "objective": Texts("Objective", "Objectif"),
    "period_short": Texts("Period", "Période"),
    "target": Texts("Target", "Cible"),
    "value": Texts("Value", "Valeur"),
    "forecast": Texts("Forecast", "Prévision"),
    "status": Texts("Status", "Statut"),
    "driver": Texts("Main driver", "Principal facteur"),
    "no_objectives": Texts("No objective is set for this client.", "Aucun objectif n'est fixé pour ce client."),
    "status_not_started": Texts("not started", "pas commencé"),
    "status_on_track": Texts("on track", "en bonne voie"),
    "status_off_track": Texts("off track", "en retard"),
    "status_achieved": Texts("achieved", "atteint"),
    "status_missed": Texts("missed", "manqué"),
    "status_no_data": Texts("no data", "pas de données"),
    "alerts": Texts("Alerts", "Alertes"),
    "alerts_opened": Texts("Alerts in the period", "Alertes sur la période"),
    "alerts_still_open": Texts("Still open", "Encore ouvertes"),
    "day": Texts("Day", "Jour"),
    "alert_kind": Texts("Alert", "Alerte"),
    "observed": Texts("Observed", "Observé"),
    "threshold": Texts("Threshold", "Seuil"),
    "alert_mention_spike": Texts("Mention spike", "Pic de mentions"),
    "alert_negative_share_spike": Texts("Negative share spike", "Hausse de la part négative"),
    "alert_sentiment_drop": Texts("Sentiment drop", "Chute du sentiment"),
    "alert_silence": Texts("Silence", "Silence"),
    "alert_objective_off_track": Texts("Objective off track", "Objectif en retard"),
    "alert_status_open": Texts("open", "ouverte"),
    "alert_status_acknowledged": Texts("acknowledged", "prise en compte"),
    "alert_status_resolved": Texts("resolved", "résolue"),
    "alerts_note": Texts(
        "Each alert's evidence (baseline, observed value, top mentions) is in GET /v1/alerts/{alert_id}.",
        "Les preuves de chaque alerte (référence, valeur observée, mentions) sont dans GET /v1/alerts/{alert_id}.",
    ),
    "missing_content": Texts(
        "Employer content: no employer-brand post with reach in the period.",
        "Contenus employeur : aucune publication marque employeur avec une portée sur la période.",
    ),
    "missing_audience": Texts(
        "Professional audience: no follower count on a professional network in the period.",
        "Audience professionnelle : aucun nombre d'abonnés sur un réseau professionnel sur la période.",
    ),
    "missing_sentiment": Texts(
        "Sentiment: no analysed mention about working there in the period.",
        "Sentiment : aucune mention analysée sur le fait d'y travailler sur la période.",
    ),
    "missing_conversions": Texts(
        "Applications: none recorded in the ROI ledger, or no employer-brand reach to relate them to.",
        "Candidatures : aucune saisie dans le registre ROI, ou aucune portée marque employeur à laquelle les "
        "rapporter.",
    ),
    "roi": Texts("Return on investment", "Retour sur investissement"),
    "cost": Texts("Cost", "Coût"),
    "roi_ratio": Texts("ROI", "ROI"),
    "roas": Texts("ROAS", "ROAS"),
    "emv": Texts("Earned media value (not in ROI)", "Valeur média gagnée (hors ROI)"),
    "roi_by_network": Texts("By network", "Par réseau"),
    "network": Texts("Network", "Réseau"),
    "roi_note": Texts(
        "ROI = (value − cost) ÷ cost; ROAS = conversion revenue ÷ ad spend; earned media value is shown apart.",
        "ROI = (valeur − coût) ÷ coût ; ROAS = chiffre d'affaires des conversions ÷ dépenses publicitaires ; la "
        "valeur média gagnée est présentée à part.",
    ),
}


@dataclass(frozen=True, slots=True)
class Words:
    """The report's words and number formats in one language: what every section and renderer is handed.

    Sections ask `words("presence")` instead of threading the language through every text, number, percentage,
    amount and date; a section is written once for every language.
    """

    language: Language

    def __call__(self, key: str, **values: str) -> str:
        """The text of `key`, with `{placeholders}` filled."""
        text: str = getattr(LABELS[key], self.language)
        return text.format(**values) if values else text

    def each(self, *keys: str) -> list[str]:
        """The texts of `keys`, in order (a table's column titles)."""
        return [self(key) for key in keys]

    def number(self, value: float | int | Decimal, *, digits: int = 0) -> str:
        """A number with the language's separators and `digits` decimal places."""
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.language)

    def percent(self, value: float, *, digits: int = 1) -> str:
        """A percentage in the language's own pattern (`5.0%` in English, `5,0 %` in French)."""
        pattern = Locale.parse(self.language).percent_formats[None].pattern
        return format_percent(value, format=pattern.replace("#,##0", "#,##0." + "0" * digits, 1), locale=self.language)

    def money(self, value: float | Decimal, currency: str) -> str:
        """An amount of `currency` in the language's pattern."""
        return format_currency(value, currency, locale=self.language)

    def day(self, value: date) -> str:
        """A date in the language's long format."""
        return format_date(value, format="long", locale=self.language)
