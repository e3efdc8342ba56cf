"""Run the benchmarks: `.venv/bin/python -m tests.bench [--quick] [--only read,ingest,…,fanout]`.

The names `--only` takes: read, read-uncached (only the uncached comparison of read), ingest, growth, sentiment,
crisis, portal, fanout, mentions.

Each database benchmark creates, uses and drops its own PostgreSQL database (superuser URL from
RESONANCE_BENCH_POSTGRES_URL, else RESONANCE_TEST_POSTGRES_URL, else postgresql://postgres@127.0.0.1/postgres),
prints what it does as it goes, and the run ends with a table of the measured figures, each ratio
measured within this run, with PASS/FAIL against its target. Not part of the test suite: timings
depend on the machine, so nothing here asserts on them; the exit status is 0 unless something broke.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable

from tests.bench import common, crisis, fanout, growth, ingest, mentions, portal, read, sentiment
from tests.bench.common import Outcome, say

BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[Outcome]]] = {
    "read": lambda args: read.run(args.quick),
    "read-uncached": lambda args: read.run_uncached(args.quick),
    "ingest": lambda args: ingest.run(args.quick, args.batch_size),
    "growth": lambda args: growth.run(args.quick),
    "sentiment": lambda args: sentiment.run(args.quick),
    "crisis": lambda args: crisis.run(args.quick),
    "portal": lambda args: portal.run(args.quick),
    "fanout": lambda args: fanout.run(args.quick),
    "mentions": lambda args: mentions.run(args.quick),
}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter runs: a smoke test")
    parser.add_argument(
        "--only",
        default=",".join(name for name in BENCHMARKS if name != "read-uncached"),
        help=f"comma-separated subset of: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=ingest.BATCH_SIZE,
        help="SyncEngine batch size of the ingest benchmark (default: the engine's own default)",
    )
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    say(f"Resonance benchmarks ({'quick' if args.quick else 'full'}): {', '.join(chosen)}; {common.machine_note()}")
    started = time.monotonic()
    outcomes: list[Outcome] = []
    broken = []
    for name in chosen:
        try:
            outcomes += BENCHMARKS[name](args)
        except Exception:
            traceback.print_exc()
            broken.append(name)
            outcomes.append(Outcome(name, "benchmark", "broke (see the traceback above)", "", False))
    say(f"done in {time.monotonic() - started:.0f} s; {common.machine_note()}")
    print()
    print(common.summary(outcomes))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
