"""The `resonance_sentiment_analyzer` hook: the first result wins, a broken plugin is isolated."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.sentiment import DefaultSentimentAnalyzer, GuardedAnalyzer, analyzer_for, default_analyzer
from plugins.registry import load_registry
from plugins.sdk import Sentiment, SentimentAnalyzer, hookimpl
from tests.api.conftest import list_all, make_client_and_account, sync_account
from tests.conftest import TestDatabase, make_settings, sign_up


class FixedAnalyzer:
    """Gives every text the same label and score (and keeps the language hint)."""

    def __init__(self, name: str, label: str, score: float) -> None:
        self.name = name
        self.version = "9.9"
        self.label = label
        self.score = score
        self.batches: list[int] = []

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        self.batches.append(len(texts))
        hints = list(languages or [None] * len(texts))
        return [Sentiment(language=hint, label=self.label, score=self.score) for hint in hints]  # type: ignore[arg-type]


class AnalyzerPlugin:
    def __init__(self, analyzer: object) -> None:
        self.analyzer = analyzer

    @hookimpl
    def resonance_sentiment_analyzer(self) -> Any:
        return self.analyzer


class NonePlugin:
    @hookimpl
    def resonance_sentiment_analyzer(self) -> SentimentAnalyzer | None:
        return None


class RaisingHookPlugin:
    @hookimpl
    def resonance_sentiment_analyzer(self) -> SentimentAnalyzer | None:
        raise RuntimeError("the sentiment model file is missing")


class FailingAnalyzer(FixedAnalyzer):
    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        raise ConnectionError("the sentiment service is down")


class ShortAnalyzer(FixedAnalyzer):
    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        return super().analyse(texts, languages)[:-1]


@pytest.fixture(autouse=True)
def only_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", "demo")


def test_without_an_analyzer_plugin_the_default_analyzer_is_used() -> None:
    registry = load_registry(extra_plugins=[NonePlugin()])

    assert registry.sentiment_analyzer is None
    assert isinstance(analyzer_for(registry), DefaultSentimentAnalyzer)
    assert registry.problems == []


def test_the_first_result_wins_in_pluggy_order_and_none_passes_the_turn() -> None:
    early, late = FixedAnalyzer("early", "positive", 0.5), FixedAnalyzer("late", "negative", -0.5)
    # pluggy asks the last registered implementation first; NonePlugin (registered last) passes.
    registry = load_registry(extra_plugins=[AnalyzerPlugin(early), AnalyzerPlugin(late), NonePlugin()])

    assert registry.sentiment_analyzer is late
    chosen = analyzer_for(registry)
    assert isinstance(chosen, GuardedAnalyzer)
    assert (chosen.name, chosen.version) == ("late", "9.9")
    assert chosen.analyse(["hello"], ["en"]) == [Sentiment(language="en", label="negative", score=-0.5)]


def test_a_hook_that_raises_is_reported_and_the_next_plugin_answers() -> None:
    early = FixedAnalyzer("early", "positive", 0.5)

    registry = load_registry(extra_plugins=[AnalyzerPlugin(early), RaisingHookPlugin()])

    assert registry.sentiment_analyzer is early
    [problem] = registry.problems
    assert "resonance_sentiment_analyzer: RuntimeError: the sentiment model file is missing" in problem.error


def test_a_hook_that_raises_alone_leaves_the_default_analyzer() -> None:
    registry = load_registry(extra_plugins=[RaisingHookPlugin()])

    assert isinstance(analyzer_for(registry), DefaultSentimentAnalyzer)
    assert len(registry.problems) == 1


def test_a_hook_returning_something_that_is_no_analyzer_is_refused() -> None:
    registry = load_registry(extra_plugins=[AnalyzerPlugin("not an analyser")])

    assert registry.sentiment_analyzer is None
    [problem] = registry.problems
    assert "resonance_sentiment_analyzer: analyser 'not an analyser' has no 'name' string" in problem.error


@pytest.mark.parametrize("broken", [FailingAnalyzer("down", "positive", 1.0), ShortAnalyzer("short", "positive", 1.0)])
def test_an_analyzer_failing_on_a_batch_is_replaced_by_the_default_for_that_batch(broken: FixedAnalyzer) -> None:
    guarded = GuardedAnalyzer(broken, "broken_plugin")
    texts = ["I hate waiting in line.", "Merci, c'est parfait !"]

    assert guarded.analyse(texts) == default_analyzer().analyse(texts)


def test_a_plugin_analyzer_labels_every_synced_mention(database: TestDatabase) -> None:
    plugin = FixedAnalyzer("always-negative", "negative", -0.25)
    app = create_app(make_settings(database), registry=load_registry(extra_plugins=[AnalyzerPlugin(plugin)]))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        owner, account = make_client_and_account(client, agency)
        sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))
        mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")
        report = client.get(
            f"/v1/clients/{owner['id']}/sentiment",
            params={"from": "2026-01-05", "to": "2026-01-11"},
            headers=agency.headers,
        ).json()

    assert mentions
    assert sum(plugin.batches) == len(mentions)
    assert {(m["sentiment_label"], m["sentiment_score"]) for m in mentions} == {("negative", -0.25)}
    assert all(m["language"] in {"fr", "en"} for m in mentions)  # the demo connector's own languages are kept
    assert report["definition"]["analyzer"] == {"name": "always-negative", "version": "9.9"}
    assert report["totals"]["negative"] == len(mentions)


def test_a_broken_analyzer_plugin_never_fails_a_sync(database: TestDatabase) -> None:
    registry = load_registry(extra_plugins=[AnalyzerPlugin(FailingAnalyzer("down", "positive", 1.0))])
    app = create_app(make_settings(database), registry=registry)
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        owner, account = make_client_and_account(client, agency)
        run = sync_account(client, agency, account["id"], date(2026, 1, 5), date(2026, 1, 11))
        mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")

    assert run["mentions_count"] == len(mentions) > 0
    expected = default_analyzer().analyse([m["text"] for m in mentions], [m["language"] for m in mentions])
    assert [(m["sentiment_label"], m["sentiment_score"]) for m in mentions] == [(e.label, e.score) for e in expected]
