"""Behaviour of the built-in `demo` connector: deterministic, consistent, realistic simulated data."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from typing import Any

import pytest

from plugins.connectors import demo
from plugins.connectors.demo import MENTION_TEMPLATES, DemoConnector
from plugins.registry import load_registry
from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    Checkpoint,
    Mention,
    MetricPoint,
    Post,
    Record,
    TransientError,
    Window,
    built_in_metrics,
)

SINCE = date(2025, 1, 6)  # a Monday
HALF_YEAR = Window(since=SINCE, until=SINCE + timedelta(days=179))
YEAR = Window(since=SINCE, until=SINCE + timedelta(days=364))
HANDLES = ("acme", "globex", "initech", "boulangerie-dupont", "umbrella-corp", "hooli", "stark", "wayne")
INTERACTIONS = ("page_reactions", "page_comments", "page_shares", "page_saves", "page_clicks")
PUBLIC = {"page_fans", "page_posts", "page_engagements", "page_reactions", "page_comments", "page_shares"}


async def collect(
    handle: str = "acme",
    window: Window = HALF_YEAR,
    state: dict[str, Any] | None = None,
    **account: Any,
) -> list[Record]:
    connector = DemoConnector()
    return [record async for record in connector.fetch(AccountRef(handle=handle, **account), window, state or {})]


def points(records: list[Record]) -> dict[tuple[str, date], MetricPoint]:
    return {(r.native_metric, r.day): r for r in records if isinstance(r, MetricPoint)}


def series(records: list[Record], native: str) -> dict[date, float]:
    return {r.day: r.value for r in records if isinstance(r, MetricPoint) and r.native_metric == native}


def days_of(window: Window) -> list[date]:
    return [window.since + timedelta(days=n) for n in range((window.until - window.since).days + 1)]


# --- metadata and registration ----------------------------------------------------------------------


def test_metadata_maps_native_metrics_onto_the_canonical_catalogue() -> None:
    assert (DemoConnector.id, DemoConnector.name, DemoConnector.version) == ("demo", "Demo network", "1.0.0")
    assert DemoConnector.capabilities == {"account_metrics", "posts", "mentions", "public_data"}
    assert DemoConnector.default_base_url is None
    declared = DemoConnector.declared()
    assert declared["page_fans"].canonical == "followers"
    assert declared["page_posts"].canonical == "posts_published"
    catalogue = built_in_metrics()
    assert {d.canonical for d in declared.values()} == set(catalogue)
    for declaration in declared.values():
        assert declaration.unit == catalogue[declaration.canonical].unit


def test_module_registers_the_connector_through_the_plugin_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", "no-installed-plugin")  # load only the module given below
    registry = load_registry(extra_plugins=[demo])
    assert registry.problems == []
    assert registry.connector("demo") is DemoConnector


def test_credentials_schema_marks_the_token_secret_and_refuses_other_fields() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = DemoConnector.credentials_schema
    assert schema["additionalProperties"] is False
    assert schema.get("required", []) == []
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["api_token"]["writeOnly"] is True
    jsonschema.validate({}, schema)
    jsonschema.validate({"api_token": "abc"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"password": "abc"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"api_token": 42}, schema)


# --- check() ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("credentials", [{}, {"api_token": "anything"}])
async def test_check_accepts_no_credentials_or_a_token(credentials: dict[str, Any]) -> None:
    await DemoConnector().check(credentials)


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({"api_token": "invalid"}, "refused"),
        ({"api_token": ""}, "non-empty"),
        ({"api_token": None}, "non-empty"),
        ({"username": "me"}, "username"),
    ],
)
async def test_check_refuses_bad_credentials_with_a_clear_message(credentials: dict[str, Any], message: str) -> None:
    with pytest.raises(AuthenticationError, match=message):
        await DemoConnector().check(credentials)


async def test_fetch_refuses_an_account_whose_credentials_are_refused() -> None:
    with pytest.raises(AuthenticationError):
        await collect(credentials={"api_token": "invalid"})


# --- determinism ------------------------------------------------------------------------------------


async def test_same_handle_and_window_give_identical_records() -> None:
    assert await collect("acme") == await collect("acme")


async def test_overlapping_windows_agree_on_every_shared_day() -> None:
    early = await collect("globex", Window(since=date(2025, 1, 1), until=date(2025, 3, 31)))
    late = await collect("globex", Window(since=date(2025, 3, 1), until=date(2025, 5, 31)))
    shared = [date(2025, 3, 1) + timedelta(days=n) for n in range(31)]

    def of_shared_days(records: list[Record]) -> list[Record]:
        return [
            r
            for r in records
            if (isinstance(r, MetricPoint) and r.day in shared)
            or (isinstance(r, Post | Mention) and r.published_at.date() in shared)
        ]

    early_shared, late_shared = of_shared_days(early), of_shared_days(late)
    assert len(early_shared) > 31 * 13
    assert early_shared == late_shared


async def test_different_handles_get_different_data() -> None:
    acme, globex = series(await collect("acme"), "page_fans"), series(await collect("globex"), "page_fans")
    assert acme.keys() == globex.keys()
    assert acme != globex


# --- metric consistency -----------------------------------------------------------------------------


async def test_every_day_has_one_point_per_declared_metric_and_nothing_undeclared() -> None:
    records = await collect("initech")
    per_day = Counter(r.day for r in records if isinstance(r, MetricPoint))
    assert set(per_day) == set(days_of(HALF_YEAR))
    assert set(per_day.values()) == {len(DemoConnector.metrics)}
    declared = DemoConnector.declared()
    for record in records:
        if isinstance(record, MetricPoint):
            assert record.native_metric in declared
            assert record.quality == "exact"
            assert record.value >= 0
        elif isinstance(record, Post):
            assert set(record.metrics) <= set(declared)


@pytest.mark.parametrize("handle", HANDLES)
async def test_reach_never_exceeds_impressions_and_engagements_add_up(handle: str) -> None:
    records = await collect(handle)
    values = points(records)
    for day in days_of(HALF_YEAR):
        assert values["page_reach", day].value <= values["page_impressions", day].value
        assert 0 < values["page_reach_non_followers", day].value <= values["page_reach", day].value
        parts = sum(values[native, day].value for native in INTERACTIONS)
        assert values["page_engagements", day].value == parts
    for post in (r for r in records if isinstance(r, Post)):
        assert post.metrics["page_reach"] <= post.metrics["page_impressions"]
        assert post.metrics["page_engagements"] == sum(post.metrics[native] for native in INTERACTIONS)


@pytest.mark.parametrize("handle", HANDLES)
async def test_weekdays_get_more_impressions_than_weekends(handle: str) -> None:
    impressions = series(await collect(handle), "page_impressions")
    weekdays = [value for day, value in impressions.items() if day.weekday() < 5]
    weekends = [value for day, value in impressions.items() if day.weekday() >= 5]
    assert statistics.mean(weekdays) > statistics.mean(weekends)


async def test_the_audience_itself_is_busier_on_weekdays() -> None:
    """Even on days without a post, when only organic views count."""
    for handle in HANDLES:
        records = await collect(handle, YEAR)
        posts = series(records, "page_posts")
        quiet = {day: value for day, value in series(records, "page_impressions").items() if posts[day] == 0}
        weekdays = [value for day, value in quiet.items() if day.weekday() < 5]
        weekends = [value for day, value in quiet.items() if day.weekday() >= 5]
        assert statistics.mean(weekdays) > 1.2 * statistics.mean(weekends), handle


async def test_followers_grow_over_half_a_year() -> None:
    followers = series(await collect("acme"), "page_fans")
    first_week = statistics.mean(followers[SINCE + timedelta(days=n)] for n in range(7))
    last_week = statistics.mean(followers[HALF_YEAR.until - timedelta(days=n)] for n in range(7))
    assert last_week > first_week * 1.02


async def test_posts_and_mentions_metrics_count_the_records_of_the_day() -> None:
    records = await collect("boulangerie-dupont")
    posts = Counter(r.published_at.date() for r in records if isinstance(r, Post))
    mentions = Counter(r.published_at.date() for r in records if isinstance(r, Mention))
    assert sum(posts.values()) > 0
    assert sum(mentions.values()) > 0
    for day, value in series(records, "page_posts").items():
        assert value == posts[day]
    for day, value in series(records, "page_mentions").items():
        assert value == mentions[day]


# --- posts ------------------------------------------------------------------------------------------


async def test_posts_are_well_formed_and_identified_stably() -> None:
    records = await collect("acme")
    posts = [r for r in records if isinstance(r, Post)]
    assert len({p.external_id for p in posts}) == len(posts)
    for post in posts:
        assert post.published_at.tzinfo == UTC
        assert post.external_id.startswith(f"acme-post-{post.published_at.date().isoformat()}-")
        assert post.url == f"https://demo.resonance.invalid/acme/posts/{post.external_id}"
        assert post.text
        assert post.metrics["page_impressions"] > 0
        assert all(type(value) is float and value == int(value) for value in post.metrics.values())
    assert {p.media_type for p in posts} >= {"image", "video"}


async def test_employer_brand_tags_every_post_of_a_careers_handle_and_a_few_otherwise() -> None:
    careers = [r for r in await collect("acme-careers") if isinstance(r, Post)]
    assert careers
    assert all(post.tags == ("employer_brand",) for post in careers)

    others = [r for handle in HANDLES for r in await collect(handle) if isinstance(r, Post)]
    tagged = sum(post.tags == ("employer_brand",) for post in others)
    assert 0.05 < tagged / len(others) < 0.3


async def test_some_regular_posters_go_silent_for_weeks() -> None:
    silent: list[str] = []
    steady: list[str] = []
    for handle in HANDLES:
        posts = series(await collect(handle, YEAR), "page_posts")
        if sum(posts.values()) / 52 < 2.5:
            continue  # a rare poster has long gaps by chance alone
        longest = current = 0
        for day in days_of(YEAR):
            current = current + 1 if posts[day] == 0 else 0
            longest = max(longest, current)
        (silent if longest >= 14 else steady).append(handle)
    assert silent
    assert steady


# --- mentions ---------------------------------------------------------------------------------------


async def test_mentions_come_in_both_languages_with_every_sentiment() -> None:
    by_text = {
        template.format(handle="acme"): (language, sentiment)
        for (language, sentiment), templates in MENTION_TEMPLATES.items()
        for template in templates
    }
    mentions = [r for r in await collect("acme") if isinstance(r, Mention)]
    seen = Counter(by_text[m.text] for m in mentions)
    assert set(seen) == {
        (lang, sentiment) for lang in ("fr", "en") for sentiment in ("positive", "negative", "neutral")
    }
    for mention in mentions:
        assert mention.language == by_text[mention.text][0]
        assert mention.published_at.tzinfo == UTC
        assert mention.author
        assert mention.url is not None
        assert mention.url.startswith("https://demo.resonance.invalid/")
    assert {m.kind for m in mentions} == {"mention", "comment"}
    post_ids = {r.external_id for r in await collect("acme") if isinstance(r, Post)}
    assert all(m.post_external_id in post_ids for m in mentions if m.kind == "comment")


def test_templates_give_ten_varied_sentences_per_language_and_sentiment() -> None:
    assert len(MENTION_TEMPLATES) == 6
    for templates in MENTION_TEMPLATES.values():
        assert len(set(templates)) >= 10
        assert all("{handle}" in template for template in templates)


async def test_bad_buzz_bursts_bring_many_mostly_negative_mentions() -> None:
    negative = {
        template.format(handle=handle)
        for handle in HANDLES
        for (_, sentiment), templates in MENTION_TEMPLATES.items()
        if sentiment == "negative"
        for template in templates
    }
    handles_with_burst = []
    for handle in HANDLES:
        daily: dict[date, list[Mention]] = defaultdict(list)
        for record in await collect(handle, YEAR):
            if isinstance(record, Mention):
                daily[record.published_at.date()].append(record)
        usual = statistics.median(len(daily[day]) for day in days_of(YEAR))
        bursts = [
            day
            for day, mentions in daily.items()
            if len(mentions) >= max(4 * usual, 5) and sum(m.text in negative for m in mentions) >= 0.6 * len(mentions)
        ]
        if bursts:
            handles_with_burst.append(handle)
    assert handles_with_burst == list(HANDLES)


# --- checkpoints, competitors and test hooks --------------------------------------------------------


async def test_a_checkpoint_closes_every_day_after_its_records() -> None:
    window = Window(since=SINCE, until=SINCE + timedelta(days=9))
    records = await collect("acme", window)
    checkpoints = [r for r in records if isinstance(r, Checkpoint)]
    assert [c.state for c in checkpoints] == [{"last_day": day.isoformat()} for day in days_of(window)]
    assert isinstance(records[-1], Checkpoint)
    current = window.since
    for record in records:
        if isinstance(record, Checkpoint):
            current += timedelta(days=1)
        elif isinstance(record, MetricPoint):
            assert record.day == current
        else:
            assert record.published_at.date() == current


async def test_resuming_from_a_checkpoint_yields_only_the_later_days() -> None:
    window = Window(since=SINCE, until=SINCE + timedelta(days=9))
    full = await collect("acme", window)
    checkpoints = [i for i, r in enumerate(full) if isinstance(r, Checkpoint)]
    fourth = full[checkpoints[3]]
    assert isinstance(fourth, Checkpoint)

    resumed = await collect("acme", window, dict(fourth.state))
    assert resumed == full[checkpoints[3] + 1 :]
    assert min(r.day for r in resumed if isinstance(r, MetricPoint)) == SINCE + timedelta(days=4)


async def test_a_checkpoint_before_the_window_or_at_its_end_is_handled() -> None:
    window = Window(since=SINCE, until=SINCE + timedelta(days=2))
    assert await collect("acme", window, {"last_day": "2020-01-01"}) == await collect("acme", window)
    assert await collect("acme", window, {"last_day": window.until.isoformat()}) == []


async def test_a_competitor_yields_only_public_metrics_flagged_public_only() -> None:
    owned, competitor = await collect("globex"), await collect("globex", kind="competitor")
    competitor_points = [r for r in competitor if isinstance(r, MetricPoint)]
    assert {p.native_metric for p in competitor_points} == PUBLIC
    assert {p.quality for p in competitor_points} == {"public_only"}
    owned_values = points(owned)
    for point in competitor_points:
        assert point.value == owned_values[point.native_metric, point.day].value
    competitor_posts = [r for r in competitor if isinstance(r, Post)]
    assert competitor_posts
    assert all(set(post.metrics) <= PUBLIC for post in competitor_posts)


async def test_fail_after_days_raises_a_transient_error_after_n_checkpoints() -> None:
    connector = DemoConnector()
    account = AccountRef(handle="acme", settings={"fail_after_days": 3})
    received: list[Record] = []

    async def consume() -> None:
        async for record in connector.fetch(account, HALF_YEAR, {}):
            received.append(record)

    with pytest.raises(TransientError, match="demo failure"):
        await consume()
    assert [r.state["last_day"] for r in received if isinstance(r, Checkpoint)] == [
        (SINCE + timedelta(days=n)).isoformat() for n in range(3)
    ]
    assert isinstance(received[-1], Checkpoint)


async def test_hang_seconds_delays_the_first_record() -> None:
    connector = DemoConnector()
    account = AccountRef(handle="acme", settings={"hang_seconds": 30})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(aiter(connector.fetch(account, HALF_YEAR, {}))), timeout=0.05)
