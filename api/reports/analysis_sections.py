"""Report sections from the analyses: presence, sentiment and its aspects, benchmark, objectives and ROI.

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
from api.reports.i18n import LABELS, Words
from api.roi.schemas import RoiOut
from api.sentiment.aspect_schemas import AspectReport
from api.sentiment.schemas import SentimentPeriod, SentimentTotals

EXCERPT = 140


def _percent(value: float | None) -> float | None:
    """A percentage expressed in points (12.5) as a fraction (0.125), the report's unit for `%`."""
    return None if value is None else value / 100


def presence_section(presence: PresenceOut, words: Words) -> Section:
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
        title=words("presence"),
        tables=[
            Table(
                title=words("presence"),
                columns=words.each(
                    "account",
                    "posts",
                    "posts_per_week",
                    "days_since_last_post",
                    "longest_silence",
                    "regularity",
                    "audience_growth_pct",
                ),
                rows=rows,
            )
        ],
        notes=[words("presence_note")],
    )


def sentiment_section(
    periods: list[SentimentPeriod], totals: SentimentTotals, negative: list[StoredMention], words: Words
) -> Section:
    chart = Chart(
        title=words("net_sentiment_by_week"),
        kind="line",
        categories=[period.period_start.isoformat() for period in periods],
        series={words("net_sentiment"): [period.net_sentiment for period in periods]},
    )
    return Section(
        key="sentiment",
        title=words("sentiment"),
        figures=[
            Figure(words("mentions"), totals.total),
            Figure(words("positive"), totals.positive),
            Figure(words("negative"), totals.negative),
            Figure(words("neutral"), totals.neutral),
            Figure(words("net_sentiment"), totals.net_sentiment, "%"),
        ],
        tables=[
            Table(
                title=words("most_negative"),
                columns=words.each("published", "text"),
                rows=[[mention.published_at.date().isoformat(), mention.text[:EXCERPT]] for mention in negative],
            )
        ]
        if negative
        else [],
        charts=[chart] if periods else [],
        notes=[words("net_sentiment_note")],
    )


def aspect_name(aspect: str, words: Words) -> str:
    """An aspect's name in the report's language; one outside the catalogue keeps its stored name."""
    key = f"aspect_{aspect}"
    return words(key) if key in LABELS else aspect


def aspects_section(report: AspectReport, words: Words) -> Section:
    """Which topics the window's mentions speak of, and which carry the negative ones (the aspects route's answer)."""
    spoken = [counts for counts in report.aspects if counts.mentions]
    rows: list[list[Value]] = [
        [
            aspect_name(counts.aspect, words),
            counts.mentions,
            counts.negative,
            counts.net_sentiment,
            counts.share_of_negative,
        ]
        for counts in spoken
    ]
    untagged = report.untagged
    if untagged.mentions:
        rows.append(
            [
                words("aspect_none"),
                untagged.mentions,
                untagged.negative,
                untagged.net_sentiment,
                untagged.share_of_negative,
            ]
        )
    carrying = [counts for counts in spoken if counts.negative]
    chart = Chart(
        title=words("negative_by_aspect"),
        kind="bar",
        categories=[aspect_name(counts.aspect, words) for counts in carrying],
        series={words("negative"): [float(counts.negative) for counts in carrying]},
    )
    return Section(
        key="aspects",
        title=words("aspects"),
        figures=[
            Figure(words("mentions_with_aspect"), report.totals.mentions - untagged.mentions),
            Figure(words("most_negative_aspect"), aspect_name(carrying[0].aspect, words) if carrying else None),
        ],
        tables=[
            Table(
                title=words("aspects"),
                columns=words.each("aspect", "mentions", "negative", "net_sentiment", "share_of_negative"),
                rows=rows,
                units=["", "", "", "%", "%"],
            )
        ]
        if rows
        else [],
        charts=[chart] if carrying else [],
        notes=[words("aspects_note", version=report.definition.catalogue["version"])],
    )


def alerts_section(alerts: list[Alert], words: Words) -> Section:
    """The alerts the client's rules opened for days of the window, oldest first."""
    rows: list[list[Value]] = [
        [
            alert.bucket.isoformat(),
            words(f"alert_{alert.kind}"),
            words(f"alert_status_{alert.status}"),
            alert.evidence.get("observed"),
            alert.evidence.get("threshold"),
        ]
        for alert in alerts
    ]
    return Section(
        key="alerts",
        title=words("alerts"),
        figures=[
            Figure(words("alerts_opened"), len(alerts)),
            Figure(words("alerts_still_open"), sum(alert.status == "open" for alert in alerts)),
        ],
        tables=[
            Table(
                title=words("alerts"),
                columns=words.each("day", "alert_kind", "status", "observed", "threshold"),
                rows=rows,
            )
        ]
        if rows
        else [],
        notes=[words("alerts_note")],
    )


def benchmark_section(benchmark: BenchmarkOut, words: Words) -> Section:
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
    figures = [Figure(words("share_of_voice"), benchmark.share_of_voice.total.share_of_voice, "%")]
    for key, position in (
        ("percentile_engagement_rate", percentiles.engagement_rate),
        ("percentile_growth", percentiles.growth_pct),
        ("percentile_cadence", percentiles.posts_per_week),
    ):
        if position is not None and position.percentile is not None:
            figures.append(Figure(words(key), position.percentile, "score"))
    return Section(
        key="benchmark",
        title=words("benchmark"),
        figures=figures,
        tables=[
            Table(
                title=words("benchmark"),
                columns=words.each(
                    "side", "accounts", "audience_size", "growth_pct", "engagement_rate", "posts_per_week"
                ),
                rows=[
                    side_row("owned", words("owned")),
                    side_row("competitor", words("competitors")),
                ],
            )
        ],
        notes=[words("benchmark_note")],
    )


def objectives_section(objectives: list[tuple[Objective, ObjectiveProgress]], words: Words) -> Section:
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
                words(f"status_{progress.status}"),
                f"{driver.network} · {driver.handle}" if driver else None,
            ]
        )
    return Section(
        key="objectives",
        title=words("objectives"),
        tables=[
            Table(
                title=words("objectives"),
                columns=words.each("objective", "period_short", "target", "value", "forecast", "status", "driver"),
                rows=rows,
            )
        ]
        if rows
        else [],
        summary=[] if rows else [words("no_objectives")],
    )


def roi_section(roi: RoiOut, words: Words) -> Section:
    totals = roi.totals
    return Section(
        key="roi",
        title=words("roi"),
        figures=[
            Figure(words("cost"), totals.cost, "money"),
            Figure(words("value"), totals.value, "money"),
            Figure(words("roi_ratio"), None if totals.roi is None else float(totals.roi), "%"),
            Figure(words("roas"), None if totals.roas is None else float(totals.roas)),
            Figure(words("emv"), roi.emv.total, "money"),
        ],
        tables=[
            Table(
                title=words("roi_by_network"),
                columns=words.each("network", "cost", "value", "roi_ratio", "emv"),
                rows=[
                    [line.network, line.cost, line.value, None if line.roi is None else float(line.roi), line.emv]
                    for line in roi.by_network
                ],
                units=["", "money", "money", "%", "money"],
            )
        ],
        notes=[words("roi_note"), *(note for note in (totals.roi_note, totals.roas_note) if note)],
    )
