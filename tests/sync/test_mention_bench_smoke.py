"""The mentions benchmark's machinery at a small size, so that `python -m tests.bench --only mentions` cannot rot.

pytest ignores tests/bench (its figures depend on the machine); this runs the very code the benchmark runs — the
bench connector, `SyncEngine` in a process of its own through the app role, the counted analyser — on 300
mentions, and asserts what the benchmark checks as it goes: the first sync analyses and bills each mention once,
a re-sync analyses none, an edit analyses only the edited texts. PostgreSQL only, as the benchmark.
"""

from __future__ import annotations

import os

from tests.conftest import POSTGRES_ENV

if POSTGRES_ENV in os.environ:
    import pytest

    from tests.bench import mentions

    @pytest.mark.timeout(240)
    def test_a_small_mention_sync_analyses_each_text_once_and_a_re_sync_none() -> None:
        outcomes = {
            outcome.figure: outcome
            for outcome in mentions.run(False, count=300, database_name="resonance_bench_mentions_smoke")
        }

        assert outcomes["re-sync, texts analysed"].value == "0"
        assert outcomes["re-sync with 30 edited, texts analysed"].value == "30"
        assert outcomes["re-sync with 30 edited, texts analysed"].passed
        assert outcomes["first sync of 300 mentions"].value.endswith(" s")
        per_mention = outcomes["analysis CPU a mention (in the sync)"].value
        assert float(per_mention.removesuffix(" ms")) > 0  # the wrapped analyser was really the one the engine ran
