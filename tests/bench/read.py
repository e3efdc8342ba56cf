"""Benchmark 1 — metrics read: Resonance's `GET /v1/metrics` against a bare Litestar endpoint.

Both run under the same uvicorn configuration (`common.UVICORN_OPTIONS`: one worker, uvloop,
httptools, no access log, log level warning). The request is authenticated (API key), reads ten
metrics over 90 days of one account (900 points) from PostgreSQL through the non-owner app role, so
row-level security is on. The bare app answers the same path with the very bytes Resonance sent.

Figures: requests/second of each (closed loop, best of the rounds), their ratio, and p50/p99
latency of Resonance at a fixed open-loop rate of 0.35 x the bare app's requests/second.

Then the cost of billing on this read: the same Resonance with billing on (every request rate-limited
by plan and counted for the `api_calls` meter, memory store: embedded mode; the agency far from its limit,
so no RateLimit headers) and with billing off (`RESONANCE_BILLING=false`), in pairs of servers started for
the pair in an order that alternates, each measured in one-second slices in an ABBA order (on, off, off,
on, ...) so that neither the machine's drift nor the first-started server's advantage falls on one side; the
figure is the median of the pairs' on / off ratios (target >= 0.95). Beside it, each server's CPU time per
answer and the CPU time of the check in process, which the machine's noise moves far less. Then, for
information, the headers on every answer (`RESONANCE_RATE_LIMIT_HEADERS_FROM=0`) and scaled mode (Redis)
against off.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.bench import bare_sql_app, common
from tests.bench.bare_app import BODY_ENV
from tests.bench.common import Outcome, say

RATIO_TARGET = 0.35
UNCACHED_TARGET = 0.6
CACHE_ENV = "RESONANCE_METRICS_CACHE_SECONDS"
UNCACHED_SLICE_SECONDS = 2
BILLING_TARGET = 0.95
REDIS_URL_ENV = "RESONANCE_BENCH_REDIS_URL"
P99_TARGET_MS = 25.0
CONNECTIONS = 16
DATE_FROM, DATE_TO = "2026-04-01", "2026-06-29"  # 90 days, both included


def loadgen(options: dict[str, Any], cpu: int | None = None) -> dict[str, Any]:
    """Run the Python load generator in its own process (on `cpu` when given) and return its JSON result."""
    output = subprocess.run(
        common.pinned([common.PYTHON, "-m", "tests.bench.loadgen", json.dumps(options)], cpu),
        cwd=common.ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(output.stdout))


def throughput(url: str, headers: dict[str, str], seconds: float, cpu: int | None = None) -> dict[str, Any]:
    """Closed-loop requests/second: `wrk` (one thread, 16 connections, on `cpu` when given) when installed, else
    our client."""
    wrk = shutil.which("wrk")
    if wrk is None:
        result = loadgen(
            {"mode": "closed", "url": url, "headers": headers, "connections": CONNECTIONS, "duration": seconds}
        )
        result["tool"] = "python loadgen"
        return result
    command = [wrk, "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(common.pinned([*command, url], cpu), check=True, capture_output=True, text=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    requests = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    if rps is None or requests is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return {
        "tool": "wrk",
        "rps": float(rps.group(1)),
        "requests": int(requests.group(1)),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(0) if socket_errors else "",
    }


def _seed(database: common.BenchDatabase) -> tuple[common.Seeded, str, dict[str, str]]:
    """The benchmark's tenant and 7,300 points; the read's path and headers."""
    seeded = asyncio.run(common.seed_tenant(database.app_url, agency="Read Bench Agency"))
    rows = common.insert_points(database, seeded.tenant_id, seeded.account_id, first_day=common.FIRST_DAY, days=730)
    say(f"seeded 1 tenant, 1 client, 1 account and {rows:,} metric points (10 metrics x 730 days)")
    common.vacuum_analyze(database)
    path = common.metrics_path(seeded.account_id, date_from=DATE_FROM, date_to=DATE_TO)
    return seeded, path, {"Authorization": f"Bearer {seeded.api_key}"}


def _answer(base: str, path: str, headers: dict[str, str]) -> httpx.Response:
    """Resonance's answer to the read, checked: ten series of 90 points."""
    response = httpx.get(base + path, headers=headers, timeout=30)
    response.raise_for_status()
    document = response.json()
    points = sum(len(series["points"]) for series in document["series"])
    if len(document["series"]) != len(common.METRICS) or points != 90 * len(common.METRICS):
        raise RuntimeError(f"unexpected answer: {len(document['series'])} series, {points} points")
    say(
        f"GET {path[:60]}... answers {len(document['series'])} series, {points} points, {len(response.content):,} bytes"
    )
    return response


def run(quick: bool) -> list[Outcome]:
    rounds, seconds, latency_seconds = (1, 3.0, 5.0) if quick else (3, 10.0, 20.0)
    say(f"== metrics read benchmark ({'quick' if quick else 'full'}; {common.machine_note()})")
    database = common.create_database("resonance_bench_read")
    try:
        seeded, path, headers = _seed(database)
        with common.uvicorn_server("api.app:create_app", common.resonance_env(database), label="Resonance") as base:
            response = _answer(base, path, headers)
            body = response.content
            with tempfile.TemporaryDirectory() as folder:
                body_file = Path(folder) / "body.json"
                body_file.write_bytes(body)
                env = {BODY_ENV: str(body_file)}
                with common.uvicorn_server("tests.bench.bare_app:create_app", env, label="bare Litestar") as bare:
                    check = httpx.get(bare + path, headers=headers, timeout=30)
                    if check.content != body:
                        raise RuntimeError("the bare app does not answer the same body")
                    outcomes = _measure(base + path, bare + path, headers, rounds, seconds, latency_seconds)
        outcomes += _uncached(database, seeded, path, headers, response.json(), quick)
        return outcomes + _billing_cost(database, path, headers, body, quick, seconds)
    finally:
        common.drop_database(database)


def run_uncached(quick: bool) -> list[Outcome]:
    """Only the uncached comparison (`--only read-uncached`): what a change to the read path is measured with."""
    say(f"== uncached metrics read ({'quick' if quick else 'full'}; {common.machine_note()})")
    database = common.create_database("resonance_bench_read")
    try:
        seeded, path, headers = _seed(database)
        with common.uvicorn_server("api.app:create_app", common.resonance_env(database), label="Resonance") as base:
            document = _answer(base, path, headers).json()
        return _uncached(database, seeded, path, headers, document, quick)
    finally:
        common.drop_database(database)


def _measure(
    url: str, bare_url: str, headers: dict[str, str], rounds: int, seconds: float, latency_seconds: float
) -> list[Outcome]:
    say("warming both servers up (2 s each)")
    throughput(bare_url, headers, 2)
    throughput(url, headers, 2)
    bare_runs, resonance_runs = [], []
    for index in range(rounds):
        say(f"round {index + 1}/{rounds}: bare Litestar, closed loop, {CONNECTIONS} connections, {seconds:g} s")
        bare = throughput(bare_url, headers, seconds)
        say(
            f"  bare: {bare['rps']:,.0f} req/s ({bare['tool']}, {bare['requests']:,} requests, errors {bare['errors']})"
        )
        say(f"round {index + 1}/{rounds}: Resonance, closed loop, {CONNECTIONS} connections, {seconds:g} s")
        resonance = throughput(url, headers, seconds)
        say(
            f"  Resonance: {resonance['rps']:,.0f} req/s ({resonance['tool']}, {resonance['requests']:,} requests, "
            f"errors {resonance['errors']})"
        )
        if bare["errors"] or resonance["errors"]:
            raise RuntimeError("some answers were not 200: the figures would be meaningless")
        bare_runs.append(bare["rps"])
        resonance_runs.append(resonance["rps"])
    bare_rps, resonance_rps = max(bare_runs), max(resonance_runs)
    ratio = resonance_rps / bare_rps
    say(f"best of {rounds}: bare {bare_rps:,.0f} req/s, Resonance {resonance_rps:,.0f} req/s, ratio {ratio:.3f}")
    rate = round(RATIO_TARGET * bare_rps, 1)
    latencies, floors = [], []
    for index in range(rounds):
        say(
            f"latency round {index + 1}/{rounds}: Resonance at a fixed open-loop rate of {rate:,.0f} req/s "
            f"(0.35 x bare) for {latency_seconds:g} s, 32 connections"
        )
        latency = loadgen(
            {
                "mode": "open",
                "url": url,
                "headers": headers,
                "connections": 32,
                "rate": rate,
                "duration": latency_seconds,
            }
        )
        say(
            f"  achieved {latency['rps']:,.0f} req/s, p50 {latency['p50_ms']:.2f} ms, p90 {latency['p90_ms']:.2f} ms, "
            f"p99 {latency['p99_ms']:.2f} ms, max {latency['max_ms']:.2f} ms, errors {latency['errors']}, "
            f"{latency['waited_for_connection']} requests found every connection busy"
        )
        if latency["unfinished"]:
            say(f"  {latency['unfinished']:,} requests were still unanswered (or never sent) 10 s after the end")
        latencies.append(latency)
        say(f"latency round {index + 1}/{rounds}: bare Litestar at the same rate (the floor of this measurement)")
        floor = loadgen(
            {
                "mode": "open",
                "url": bare_url,
                "headers": headers,
                "connections": 32,
                "rate": rate,
                "duration": latency_seconds,
            }
        )
        say(f"  achieved {floor['rps']:,.0f} req/s, p50 {floor['p50_ms']:.2f} ms, p99 {floor['p99_ms']:.2f} ms")
        floors.append(floor)
    # The median round: one hiccup of the shared machine (it shows in the floor too) does not decide the figure.
    latency = sorted(latencies, key=lambda result: result["p99_ms"])[len(latencies) // 2]
    floor = sorted(floors, key=lambda result: result["p99_ms"])[len(floors) // 2]
    keeps_up = all(
        result["rps"] >= 0.95 * rate and not result["errors"] and not result["unfinished"] for result in latencies
    )
    say(
        "p99 per round: Resonance "
        + ", ".join(f"{result['p99_ms']:.1f}" for result in latencies)
        + " ms; bare "
        + ", ".join(f"{result['p99_ms']:.1f}" for result in floors)
        + " ms"
    )
    return [
        Outcome("read", "bare Litestar req/s", f"{bare_rps:,.0f}", "", None),
        Outcome("read", "Resonance req/s", f"{resonance_rps:,.0f}", "", None),
        Outcome("read", "Resonance / bare", f"{ratio:.3f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET),
        Outcome(
            "read",
            f"p50 / p99 at {rate:,.0f} req/s (median of {rounds} rounds)",
            f"{latency['p50_ms']:.2f} / {latency['p99_ms']:.2f} ms"
            + ("" if keeps_up else f" (served {latency['rps']:,.0f} req/s)"),
            f"p99 < {P99_TARGET_MS:g} ms",
            keeps_up and latency["p99_ms"] < P99_TARGET_MS,
        ),
        Outcome(
            "read",
            f"bare Litestar p50 / p99 at {rate:,.0f} req/s (the floor, median round)",
            f"{floor['p50_ms']:.2f} / {floor['p99_ms']:.2f} ms",
            "",
            None,
        ),
    ]


def _uncached(
    database: common.BenchDatabase,
    seeded: common.Seeded,
    path: str,
    headers: dict[str, str],
    document: dict[str, Any],
    quick: bool,
) -> list[Outcome]:
    """Resonance with its metrics cache off against a bare Litestar handler running the same SQL through psycopg
    and encoding with msgspec (`tests/bench/bare_sql_app.py`): both servers on CPU 0, the load on CPU 1, measured in
    slices in an ABBA order; each server's CPU time per answer beside the ratio."""
    slices = 4 if quick else 16
    say(f"== uncached read: Resonance with {CACHE_ENV}=0 against a bare SQL handler ({slices} slices)")
    arms = {
        "Resonance, cache off": ("api.app:create_app", {**common.resonance_env(database), CACHE_ENV: "0"}),
        "bare SQL": (
            "tests.bench.bare_sql_app:create_app",
            {
                bare_sql_app.DATABASE_ENV: common.libpq_url(database.app_url),
                bare_sql_app.TENANT_ENV: str(seeded.tenant_id),
                bare_sql_app.CATALOG_ENV: json.dumps(
                    {series["metric"]: [series["unit"], series["aggregation"]] for series in document["series"]}
                ),
            },
        ),
    }
    with ExitStack() as stack:
        servers = {
            arm: stack.enter_context(common.uvicorn_process(factory, env, label=arm, cpu=SERVER_CPU))
            for arm, (factory, env) in arms.items()
        }
        bodies = {arm: httpx.get(server.base + path, headers=headers, timeout=30) for arm, server in servers.items()}
        resonance, bare = bodies["Resonance, cache off"], bodies["bare SQL"]
        if resonance.headers.get("x-cache") == "hit" or resonance.status_code != 200:
            raise RuntimeError("Resonance with the cache off answered from a cache")
        if resonance.content != bare.content:
            raise RuntimeError("the bare SQL handler does not answer the same body as Resonance")
        # 400 windows of 90 days, each a day later than the one before: concurrent requests never ask the same
        # thing, so Resonance's single flight (concurrent misses of one query share one computation) never helps.
        first = date.fromisoformat(common.FIRST_DAY)
        windows = [
            common.metrics_path(
                seeded.account_id,
                date_from=(first + timedelta(days=shift)).isoformat(),
                date_to=(first + timedelta(days=shift + 89)).isoformat(),
            )
            for shift in range(400)
        ]
        for server in servers.values():
            throughput(server.base + path, headers, 2, cpu=LOAD_CPU)  # warm-up
        measured = {arm: Arm() for arm in arms}
        order = list(arms)
        for index in range(slices):
            for arm in order if index % 2 == 0 else list(reversed(order)):
                server = servers[arm]
                cpu_before = common.cpu_seconds(server.pid)
                result = loadgen(
                    {
                        "mode": "closed",
                        "url": server.base + path,
                        "urls": [server.base + other for other in windows],
                        "headers": headers,
                        "connections": CONNECTIONS,
                        "duration": UNCACHED_SLICE_SECONDS,
                    },
                    cpu=LOAD_CPU,
                )
                measured[arm].cpu_seconds += common.cpu_seconds(server.pid) - cpu_before
                if result["errors"]:
                    raise RuntimeError(f"{arm}: {result['errors']} answers were not 200")
                measured[arm].rps += float(result["rps"]) / slices
                measured[arm].requests += int(result["requests"])
    ours, theirs = measured["Resonance, cache off"], measured["bare SQL"]
    ratio = ours.rps / theirs.rps
    say(
        f"uncached: Resonance {ours.rps:,.0f} req/s ({ours.cpu_us:,.0f} us CPU per answer), bare SQL "
        f"{theirs.rps:,.0f} req/s ({theirs.cpu_us:,.0f} us); ratio {ratio:.3f} (target >= {UNCACHED_TARGET})"
    )
    return [
        Outcome("read", "bare SQL handler (psycopg + msgspec) req/s", f"{theirs.rps:,.0f}", "", None),
        Outcome("read", "Resonance req/s, metrics cache off", f"{ours.rps:,.0f}", "", None),
        Outcome(
            "read",
            "uncached: Resonance / bare SQL handler",
            f"{ratio:.3f}",
            f">= {UNCACHED_TARGET}",
            ratio >= UNCACHED_TARGET,
        ),
        Outcome(
            "read",
            "uncached: server CPU per answer, Resonance / bare SQL",
            f"{ours.cpu_us:,.0f} / {theirs.cpu_us:,.0f} us",
            "",
            None,
        ),
    ]


def _redis_url() -> str | None:
    """The Redis for the scaled-mode figure (RESONANCE_BENCH_REDIS_URL, else the tests' one), if it answers."""
    import redis

    url = os.environ.get(REDIS_URL_ENV) or os.environ.get("RESONANCE_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def _billing_cost(
    database: common.BenchDatabase, path: str, headers: dict[str, str], body: bytes, quick: bool, seconds: float
) -> list[Outcome]:
    """Billing on / off throughput in pairs of servers measured in alternating one-second slices, each server
    answering the same body; then, for information, the headers on every answer and scaled mode against off."""
    pairs = 2 if quick else 10  # a server's speed varies by a few % from one start to the next: many pairs
    env = common.resonance_env(database)
    off = {**env, "RESONANCE_BILLING": "false"}
    # The default: the agency is far from its limit, so its answers carry no RateLimit headers.
    say(
        f"== billing on / off on the metrics read ({pairs} pairs of servers, {seconds:g} one-second slices each "
        "in an ABBA order)"
    )
    rounds = _compare({"on": env, "off": off}, pairs, path, headers, body, seconds)
    rps = {arm: [result.rps for result in results] for arm, results in rounds.items()}
    ratios = [on / off for on, off in zip(rps["on"], rps["off"], strict=True)]
    ratio = statistics.median(ratios)
    say(f"billing on / off per pair: {', '.join(f'{value:.3f}' for value in ratios)}; median {ratio:.3f}")
    # The server's CPU time per answer, off / on: the same cost seen from the server.
    cpu = {arm: statistics.median(result.cpu_us for result in results) for arm, results in rounds.items()}
    cpu_ratio = statistics.median(off.cpu_us / on.cpu_us for on, off in zip(rounds["on"], rounds["off"], strict=True))
    outcomes = [
        Outcome("read", "billing off req/s (median of pairs)", f"{statistics.median(rps['off']):,.0f}", "", None),
        Outcome("read", "billing on req/s (median of pairs)", f"{statistics.median(rps['on']):,.0f}", "", None),
        Outcome(
            "read",
            "billing on / off (rate limit + api_calls meter, memory), median of pair ratios",
            f"{ratio:.3f}",
            f">= {BILLING_TARGET}",
            ratio >= BILLING_TARGET,
        ),
        Outcome(
            "read",
            "server CPU per answer, billing off / on (median of pairs)",
            f"{cpu_ratio:.3f} ({cpu['off']:.1f} / {cpu['on']:.1f} us)",
            "",
            None,
        ),
    ]
    cost = _check_cost_us()
    share = cost / (1e6 / statistics.median(rps["off"]))
    say(
        f"the fast path's check and count cost {cost:.2f} us per read in process: {share:.1%} of a read at the off rate"
    )
    outcomes.append(
        Outcome(
            "read",
            "rate-limit check + count per cached read, in process (share of one read at the off rate)",
            f"{cost:.2f} us ({share:.1%})",
            "",
            None,
        )
    )
    # For information: the headers on every answer (RESONANCE_RATE_LIMIT_HEADERS_FROM=0, as an agency past half its
    # limit gets them), and scaled mode (one Redis round trip per request).
    others = {"off": off, "on, headers always": {**env, "RESONANCE_RATE_LIMIT_HEADERS_FROM": "0"}}
    redis_url = _redis_url()
    prefix = f"resonance-bench:{uuid.uuid4().hex}:"
    if redis_url:
        others["on, Redis"] = {**env, "RESONANCE_REDIS_URL": redis_url, "RESONANCE_REDIS_PREFIX": prefix}
    else:
        say("Redis does not answer: no scaled-mode figure")
    info_pairs = 2
    say(f"== for information: {', '.join(list(others)[1:])} against billing off ({info_pairs} pairs)")
    try:
        rounds = _compare(others, info_pairs, path, headers, body, seconds)
    finally:
        if redis_url:
            _forget_redis_keys(redis_url, prefix)
    for arm, label in (
        ("on, headers always", "billing on, RateLimit headers on every answer / off"),
        ("on, Redis", "billing on with Redis (scaled mode) / off"),
    ):
        if arm in rounds:
            versus = statistics.median(
                result.rps / off.rps for result, off in zip(rounds[arm], rounds["off"], strict=True)
            )
            outcomes.append(Outcome("read", f"{label}, median of {info_pairs} pairs", f"{versus:.3f}", "", None))
    return outcomes


def _compare(
    arms: dict[str, dict[str, str]], pairs: int, path: str, headers: dict[str, str], body: bytes, seconds: float
) -> dict[str, list[Arm]]:
    """Each arm's figures in `pairs` rounds, each round on servers started for it, in an order that alternates."""
    rounds: dict[str, list[Arm]] = {arm: [] for arm in arms}
    for index in range(pairs):
        order = list(arms) if index % 2 == 0 else list(reversed(arms))
        # The servers of a pair share one hash seed, a new one each pair: how a seed lays out the dictionaries of
        # a process moves its speed by a few percent, which would otherwise fall on one arm of a pair.
        seed = str(HASH_SEED_BASE + index)
        paired = {arm: {**env, "PYTHONHASHSEED": seed} for arm, env in arms.items()}
        for arm, result in _pair(paired, order, path, headers, body, seconds).items():
            rounds[arm].append(result)
        say(
            f"pair {index + 1}/{pairs} ({' then '.join(order)}): "
            + ", ".join(f"{arm} {rounds[arm][-1].rps:,.0f} req/s ({rounds[arm][-1].cpu_us:.1f} us CPU)" for arm in arms)
            + "; "
            + ", ".join(
                f"{arm} / off {rounds[arm][-1].rps / rounds['off'][-1].rps:.3f}" for arm in arms if arm != "off"
            )
        )
    return rounds


def _check_cost_us() -> float:
    """CPU time of the cached read's rate-limit check, count and headers (`_limit_headers_now`, memory store),
    in microseconds per request, best of 5 runs of 100,000 in this process: a figure the machine's noise
    moves far less than a throughput ratio between two servers."""
    import time
    from datetime import timedelta

    from api.auth import Principal
    from api.billing.plans import load_plans
    from api.billing.rate_limits import MemoryRateLimits
    from api.billing.standing import Standings
    from api.metrics.fast_path import _limit_headers_now
    from tenants.settings import Settings

    share = Settings().rate_limit_headers_from
    plans = load_plans(Settings(plans_config=common.BENCH_PLANS, default_plan="bench"))
    standings = Standings(None, plans, "bench", timedelta(days=7))  # type: ignore[arg-type]  # never loads
    tenant_id = uuid.uuid4()
    standings._entries[tenant_id.int] = (time.monotonic() + 3600, standings.standing_from(tenant_id, None))
    store = MemoryRateLimits()  # what _limit_headers_now is given in memory mode
    principal = Principal(tenant_id=tenant_id, key_id=uuid.uuid4(), key_name="bench", scopes=frozenset({"read"}))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(100_000):
            _limit_headers_now(store, standings, share, principal)
        best = min(best, (time.perf_counter() - started) / 100_000 * 1e6)
    return best


SERVER_CPU, LOAD_CPU = 0, 1
"""The billing comparison runs each server on CPU 0 and `wrk` on CPU 1 (with `taskset`, on 2 cores or more)."""
HASH_SEED_BASE = 20261126
"""The `PYTHONHASHSEED` of the first pair's servers; the next pairs take the next numbers."""
SLICE_SECONDS = 1
"""Each arm's round is cut in one-second slices measured in an ABBA order (on, off, off, on…): a drift of the
machine's speed during the pair, or a hiccup, then falls on both arms alike. Longer slices, measured one arm after
the other, let a few seconds of a busy machine decide a ratio (pairs moved by ±10 %)."""


@dataclass
class Arm:
    """One arm's round in a pair: requests per second, and the server's CPU time per request."""

    rps: float = 0.0
    cpu_seconds: float = 0.0
    requests: int = 0

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.requests * 1e6


def _pair(
    arms: dict[str, dict[str, str]],
    order: list[str],
    path: str,
    headers: dict[str, str],
    body: bytes,
    seconds: float,
) -> dict[str, Arm]:
    """One round of each arm on servers started for it, in `order`: a server started or measured first
    has been seen to run faster or slower whatever its configuration, so the order alternates, and each
    round is measured in slices in an ABBA order."""
    with ExitStack() as stack:
        servers = {
            arm: stack.enter_context(
                common.uvicorn_process("api.app:create_app", arms[arm], label=f"billing {arm}", cpu=SERVER_CPU)
            )
            for arm in order
        }
        for arm, server in servers.items():
            answer = httpx.get(server.base + path, headers=headers, timeout=30)
            if answer.content != body or answer.status_code != 200:
                raise RuntimeError(f"billing {arm} does not answer the same body")
            headed = arm == "on, headers always"
            if ("ratelimit" in answer.headers) != headed:
                raise RuntimeError(f"billing {arm}: RateLimit headers {'missing' if headed else 'present'}")
            throughput(server.base + path, headers, 2, cpu=LOAD_CPU)  # warm-up
        measured = {arm: Arm() for arm in order}
        slices = max(2, round(seconds / SLICE_SECONDS))
        for index in range(slices):
            for arm in order if index % 2 == 0 else list(reversed(order)):
                server = servers[arm]
                cpu_before = common.cpu_seconds(server.pid)
                result = throughput(server.base + path, headers, SLICE_SECONDS, cpu=LOAD_CPU)
                measured[arm].cpu_seconds += common.cpu_seconds(server.pid) - cpu_before
                if result["errors"]:
                    raise RuntimeError(f"billing {arm}: {result['errors']} answers were not 200 (refused?)")
                measured[arm].rps += float(result["rps"]) / slices
                measured[arm].requests += int(result["requests"])
        return measured


def _forget_redis_keys(url: str, prefix: str) -> None:
    import redis

    connection = redis.Redis.from_url(url)
    keys = list(connection.scan_iter(match=prefix + "*", count=1000))
    if keys:
        connection.delete(*keys)
