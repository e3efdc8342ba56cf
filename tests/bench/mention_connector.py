"""A bench-only connector plugin: yields an account's mentions from memory, as fast as a connector can.

Its texts are the people-labelled tweets of `tests/bench/data/sentiment/` (French and English, no language
given, as most networks give none), taken in turn: `MENTION_COUNT` mentions (the account's setting
`mentions`, else 10,000) published over the window, with a `Checkpoint` every `CHECKPOINT_EVERY`. The setting
`edited_every` (n) makes every n-th text edited (a word appended), as a re-sync finds a few edited posts.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from plugins.sdk import AccountRef, Checkpoint, Connector, Mention, Record, Window, hookimpl

DATA = Path(__file__).parent / "data" / "sentiment"
MENTION_COUNT = 10_000
CHECKPOINT_EVERY = 1_000


@cache
def texts() -> tuple[str, ...]:
    """The labelled tweets, French and English interleaved."""
    columns = []
    for name in ("french.tsv", "english.tsv"):
        with (DATA / name).open(encoding="utf-8", newline="") as handle:
            columns.append([row["text"] for row in csv.DictReader(handle, delimiter="\t")])
    return tuple(text for pair in zip(*columns, strict=False) for text in pair)


def text(index: int, edited_every: int = 0) -> str:
    """The text of the `index`-th mention (edited when `edited_every` divides index + 1)."""
    original = texts()[index % len(texts())]
    return f"{original} (edit)" if edited_every and (index + 1) % edited_every == 0 else original


class MentionBenchConnector(Connector):
    id: ClassVar[str] = "bench_mentions"
    name: ClassVar[str] = "Benchmark mentions (in memory)"
    version: ClassVar[str] = "1.0.0"
    capabilities = frozenset({"mentions"})

    async def check(self, credentials: Mapping[str, Any]) -> None:
        return None

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        count = int(account.settings.get("mentions", MENTION_COUNT))
        edited_every = int(account.settings.get("edited_every", 0))
        start = datetime.combine(window.since, time(), tzinfo=UTC)
        span = (window.until - window.since + timedelta(days=1)).total_seconds()
        for index in range(count):
            yield Mention(
                external_id=f"m{index}",
                published_at=start + timedelta(seconds=span * index / count),
                text=text(index, edited_every),
                author=f"@person{index % 997}",
            )
            if (index + 1) % CHECKPOINT_EVERY == 0:
                yield Checkpoint(state={"last": index})


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return [MentionBenchConnector]
