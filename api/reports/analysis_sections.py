"""Report sections from the analyses: presence, sentiment, benchmark, objectives and ROI.

Each takes the very answer the matching API route gives (same function), so the report and the API
never disagree, and lays it out as key figures, tables and charts in the report's language.
"""

from __future__ import annotations

from api.alerts.models import Alert
from api.benchmark.schemas import BenchmarkOut
from api.content.models import StoredMention
from api.objectives.models import Objective
from api.objectives.progress import ObjectiveProgress
from api.objectives.schemas import progress_out
from api.presence.schemas import PresenceOut
from api.reports.document import Chart, Figure, Section, Table, Value
from api.reports.i18n import Language, label
from api.roi.schemas import RoiOut
from api.sentiment.schemas import SentimentPeriod, SentimentTotals

EXCERPT = 140


def _percent(value: float | None) -> float | None:
    """A percentage expressed in points (12.5) as a fraction (0.125), the report's unit for `%`."""
    return None if value is None else value / 100


def presence_section(presence: PresenceOut, language: Language) -> Section:
    rows: list[list[Value]] = [
        [
            f"{account.network} · {account.handle}",
            account.posts,
            round(account.posts_per_week, 2),
            account.days_since_last_post,
            account.longest_silence.days,
            account.regularity.score,
            account.audience.growth_pct,
        ]
        for account in presence.accounts
    ]
    return Section(
        key="presence",
        title=label("presence", language),
        tables=[
            Table(
                title=label("presence", language),
                columns=[
                    label(name, language)
                    for name in (
                        "account",
                        "posts",
                        "posts_per_week",
                        "days_since_last_post",
                        "longest_silence",
                        "regularity",
                        "audience_growth_pct",
                    )
                ],
                rows=rows,
            )
        ],
        notes=[label("presence_note", language)],
    )


def sentiment_section(
    periods: list[SentimentPeriod], totals: SentimentTotals, negative: list[StoredMention], language: Language
) -> Section:
    chart = Chart(
        title=label("net_sentiment_by_week", language),
        kind="line",
        categories=[period.period_start.isoformat() for period in periods],
        series={label("net_sentiment", language): [period.net_sentiment for period in periods]},
    )
    return Section(
        key="sentiment",
        title=label("sentiment", language),
        figures=[
            Figure(label("mentions", language), totals.total),
            Figure(label("positive", language), totals.positive),
            Figure(label("negative", language), totals.negative),
            Figure(label("neutral", language), totals.neutral),
            Figure(label("net_sentiment", language), totals.net_sentiment, "%"),
        ],
        tables=[
            Table(
                title=label("most_negative", language),
                columns=[label("published", language), label("text", language)],
                rows=[[mention.published_at.date().isoformat(), mention.text[:EXCERPT]] for mention in negative],
            )
        ]
        if negative
        else [],
        charts=[chart] if periods else [],
        notes=[label("net_sentiment_note", language)],
    )


def alerts_section(alerts: list[Alert], language: Language) -> Section:
    """The alerts the client's rules opened for days of the window, oldest first."""
    rows: list[list[Value]] = [
        [
            alert.bucket.isoformat(),
            label(f"alert_{alert.kind}", language),
            label(f"alert_status_{alert.status}", language),
            alert.evidence.get("observed"),
            alert.evidence.get("threshold"),
        ]
        for alert in alerts
    ]
    return Section(
        key="alerts",
        title=label("alerts", language),
        figures=[
            Figure(label("alerts_opened", language), len(alerts)),
            Figure(label("alerts_still_open", language), sum(alert.status == "open" for alert in alerts)),
        ],
        tables=[
            Table(
                title=label("alerts", language),
                columns=[label(name, language) for name in ("day", "alert_kind", "status", "observed", "threshold")],
                rows=rows,
            )
        ]
        if rows
        else [],
        notes=[label("alerts_note", language)],
    )


def benchmark_section(benchmark: BenchmarkOut, language: Language) -> Section:
    def side_row(name: str, side_label: str) -> list[Value]:
        side = benchmark.owned if name == "owned" else benchmark.competitor
        return [
            side_label,
            side.total.accounts,
            side.total.audience,
            side.total.growth_pct,
            side.total.engagement_rate,
            side.total.posts_per_week,
        ]

    percentiles = benchmark.percentiles
    figures = [Figure(label("share_of_voice", language), benchmark.share_of_voice.total.share_of_voice, "%")]
    for key, position in (
        ("percentile_engagement_rate", percentiles.engagement_rate),
        ("percentile_growth", percentiles.growth_pct),
        ("percentile_cadence", percentiles.posts_per_week),
    ):
        if position is not None and position.percentile is not None:
            figures.append(Figure(label(key, language), position.percentile, "score"))
    return Section(
        key="benchmark",
        title=label("benchmark", language),
        figures=figures,
        tables=[
            Table(
                title=label("benchmark", language),
                columns=[
                    label(name, language)
                    for name in ("side", "accounts", "audience_size", "growth_pct", "engagement_rate", "posts_per_week")
                ],
                rows=[
                    side_row("owned", label("owned", language)),
                    side_row("competitor", label("competitors", language)),
                ],
            )
        ],
        notes=[label("benchmark_note", language)],
    )


def objectives_section(objectives: list[tuple[Objective, ObjectiveProgress]], language: Language) -> Section:
    rows: list[list[Value]] = []
    for objective, progress in objectives:
        shown = progress_out(progress)  # the same rounding as the objectives route
        driver = shown.driver if progress.off_track else None
        rows.append(
            [
                objective.name or objective.metric,
                f"{objective.start.isoformat()} → {objective.end.isoformat()}",
                f"{objective.target.normalize():f}",
                shown.value,
                shown.forecast,
                label(f"status_{progress.status}", language),
                f"{driver.network} · {driver.handle}" if driver else None,
            ]
        )
    return Section(
        key="objectives",
        title=label("objectives", language),
        tables=[
            Table(
                title=label("objectives", language),
                columns=[
                    label(name, language)
                    for name in ("objective", "period_short", "target", "value", "forecast", "status", "driver")
                ],
                rows=rows,
            )
        ]
        if rows
        else [],
        summary=[] if rows else [label("no_objectives", language)],
    )


def roi_section(roi: RoiOut, language: Language) -> Section:
    totals = roi.totals
    return Section(
        key="roi",
        title=label("roi", language),
        figures=[
            Figure(label("cost", language), totals.cost, "money"),
            Figure(label("value", language), totals.value, "money"),
            Figure(label("roi_ratio", language), None if totals.roi is None else float(totals.roi), "%"),
            Figure(label("roas", language), None if totals.roas is None else float(totals.roas)),
            Figure(label("emv", language), roi.emv.total, "money"),
        ],
        tables=[
            Table(
                title=label("roi_by_network", language),
                columns=[label(name, language) for name in ("network", "cost", "value", "roi_ratio", "emv")],
                rows=[
                    [line.network, line.cost, line.value, None if line.roi is None else float(line.roi), line.emv]
                    for line in roi.by_network
                ],
                units=["", "money", "money", "%", "money"],
            )
        ],
        notes=[label("roi_note", language), *(note for note in (totals.roi_note, totals.roas_note) if note)],
    )
