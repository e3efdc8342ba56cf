"""Portal benchmark: a client dashboard's first byte at 20 concurrent users, on the demo's data.

The data is the demo's, made by the demo's own command (`resonance demo --no-serve`) on a temporary embedded
SQLite file, as a newcomer gets it. One uvicorn process serves it (pinned to one CPU when `taskset` is there);
the simulated users run in this process on the other CPU.

Each user has its own keep-alive connection, as a browser tab has, and loops for the round's duration: it asks
for one view, then thinks for a random time (exponential, mean `THINK_SECONDS`), then asks for the next view.
The views are every demo client's dashboard over the last 90 and the last 30 days, signed in as the agency's
owner through the sign-in form. The yardstick is what the same users would wait for with the JSON API instead:
the eight reads a dashboard is made of (followers by day, engagements by week, presence, sentiment by week,
benchmark, employer brand, objectives, ROI), asked one after the other with the demo's API key for the same
client and days, a view being complete when the eighth answer arrived. Rounds alternate portal and JSON.

Figures: the dashboard's time to first byte (the response's status line and headers, which Litestar sends with
the rendered page) at p50 and p95, the ratio of its p95 to the JSON view's p95, both measured in this run,
and, for information, the first (uncached) view of each dashboard and the dashboards with no think time.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from tests.bench import common
from tests.bench.common import Outcome, say

USERS = 20
THINK_SECONDS = 1.0
"""Mean pause between two views of one user (a person reading a dashboard looks at it for longer)."""
TARGET_MS = 150.0
DEMO_OWNER = "owner@demo-agency.example"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
KEY_LINE = re.compile(r"API key \(shown once\): (\S+)")
PASSWORD_LINE = re.compile(r"password shown once: (\S+?)\)")


@dataclass(frozen=True)
class Demo:
    """The demo agency served for the benchmark: its server, API key, owner's password and clients."""

    base: str
    pid: int
    api_key: str
    password: str
    client_ids: tuple[uuid.UUID, ...]


@dataclass
class Timings:
    """Milliseconds per view of one arm."""

    first_byte: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    errors: int = 0

    def extend(self, other: Timings) -> None:
        self.first_byte += other.first_byte
        self.complete += other.complete
        self.errors += other.errors


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def demo_env(database_url: str) -> dict[str, str]:
    """The configuration of the demo's seeding and of its server: the embedded default on a temporary file, no
    scheduler, and a plan whose request limit the JSON arm cannot reach (the figures measure answers, not 429s)."""
    return {
        "RESONANCE_DATABASE_URL": database_url,
        "RESONANCE_SECRET_KEY": common.SECRET_KEY,
        "RESONANCE_SCHEDULER": "false",
        "RESONANCE_LOG_LEVEL": "WARNING",
        "RESONANCE_PLANS": common.BENCH_PLANS,
        "RESONANCE_DEFAULT_PLAN": "bench",
        "NO_COLOR": "1",
    }


def seed(env: dict[str, str], days: int) -> tuple[str, str]:
    """Run `resonance demo --no-serve`; the API key and the portal password it prints."""
    resonance = str(Path(common.PYTHON).with_name("resonance"))
    say(f"seeding the demo agency with `resonance demo --no-serve --days {days}` on a temporary SQLite file")
    started = time.monotonic()
    done = subprocess.run(
        [resonance, "demo", "--no-serve", "--days", str(days)],
        cwd=common.ROOT,
        env={**os.environ, **env, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"resonance demo failed ({done.returncode}): {done.stderr[-2000:]}")
    key, password = KEY_LINE.search(done.stdout), PASSWORD_LINE.search(done.stdout)
    if key is None or password is None:
        raise RuntimeError(f"resonance demo printed no API key or password:\n{done.stdout}")
    say(f"seeded in {time.monotonic() - started:.0f} s")
    return key.group(1), password.group(1)


def sign_in(base: str, password: str) -> httpx.Cookies:
    """The owner's session cookies, got through the sign-in form as a browser gets them (CSRF included)."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/portal/sign-in")
        token = CSRF_FIELD.search(form.text)
        if token is None:
            raise RuntimeError("the sign-in page has no CSRF field")
        answer = client.post(
            "/portal/sign-in",
            data={"email": DEMO_OWNER, "password": password, "next": "", "_csrf_token": token.group(1)},
        )
        if answer.status_code != 303:
            raise RuntimeError(f"signing in answered {answer.status_code}")
        return client.cookies


def client_ids(base: str, api_key: str) -> tuple[uuid.UUID, ...]:
    answer = httpx.get(f"{base}/v1/clients", headers={"Authorization": f"Bearer {api_key}"}, timeout=30)
    answer.raise_for_status()
    return tuple(uuid.UUID(item["id"]) for item in answer.json()["data"])


def periods(today: date) -> list[tuple[date, date]]:
    """The periods the users look at: the last 90 days (the dashboard's default) and the last 30."""
    return [(today - timedelta(days=89), today), (today - timedelta(days=29), today)]


def dashboard_views(clients: Sequence[uuid.UUID], today: date) -> list[list[str]]:
    """One view per client and period: the dashboard page."""
    return [
        [f"/portal/clients/{client}?from={first}&to={last}"] for client in clients for first, last in periods(today)
    ]


def json_views(clients: Sequence[uuid.UUID], today: date) -> list[list[str]]:
    """One view per client and period: the eight API reads the dashboard is made of, in the dashboard's order."""
    views = []
    for client in clients:
        for first, last in periods(today):
            days = f"from={first}&to={last}"
            views.append(
                [
                    f"/v1/metrics?client_id={client}&metric=followers&granularity=day&{days}",
                    f"/v1/metrics?client_id={client}&metric=engagements&granularity=week&{days}",
                    f"/v1/clients/{client}/roi?{days}",
                    f"/v1/clients/{client}/presence?kind=owned&{days}",
                    f"/v1/clients/{client}/sentiment?granularity=week&top=3&{days}",
                    f"/v1/clients/{client}/benchmark?{days}",
                    f"/v1/clients/{client}/employer-brand?{days}",
                    f"/v1/clients/{client}/objectives?limit=20",
                ]
            )
    return views


async def view(client: httpx.AsyncClient, paths: Sequence[str], timings: Timings) -> None:
    """Ask for `paths` one after the other; record the first answer's first byte and the last one's end."""
    started = time.perf_counter()
    first_byte: float | None = None
    for path in paths:
        async with client.stream("GET", path) as answer:
            if first_byte is None:
                first_byte = time.perf_counter()
            await answer.aread()
            if answer.status_code != 200:
                timings.errors += 1
    timings.first_byte.append(((first_byte or started) - started) * 1000)
    timings.complete.append((time.perf_counter() - started) * 1000)


async def user(
    number: int, base: str, auth: dict[str, object], views: Sequence[Sequence[str]], until: float, think: float
) -> Timings:
    timings = Timings()
    chance = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=60, **auth) as client:  # type: ignore[arg-type]
        await asyncio.sleep(chance.uniform(0, think))  # users do not all start at the same instant
        turn = number
        while time.monotonic() < until:
            await view(client, views[turn % len(views)], timings)
            turn += 1
            if think:
                await asyncio.sleep(chance.expovariate(1 / think))
    return timings


async def users(
    base: str, auth: dict[str, object], views: Sequence[Sequence[str]], seconds: float, think: float
) -> Timings:
    """`USERS` users, each looping over `views` from its own starting point, for `seconds`."""
    until = time.monotonic() + seconds
    results = await asyncio.gather(*(user(n, base, auth, views, until, think) for n in range(USERS)))
    total = Timings()
    for result in results:
        total.extend(result)
    return total


def describe(label: str, timings: Timings) -> str:
    return (
        f"{label}: {len(timings.first_byte)} views, first byte p50 {percentile(timings.first_byte, 0.5):.1f} ms "
        f"p95 {percentile(timings.first_byte, 0.95):.1f} ms, complete p95 {percentile(timings.complete, 0.95):.1f} ms, "
        f"{timings.errors} errors"
    )


def run(quick: bool) -> list[Outcome]:
    days, seconds, rounds = (60, 8.0, 1) if quick else (180, 20.0, 3)
    with tempfile.TemporaryDirectory(prefix="resonance-bench-portal-") as folder:
        env = demo_env(f"sqlite:///{folder}/demo.db")
        api_key, password = seed(env, days)
        with common.uvicorn_process("api.app:create_app", env, label="the demo's service", cpu=0) as served:
            return measure(served, api_key, password, seconds, rounds)


def measure(served: common.Served, api_key: str, password: str, seconds: float, rounds: int) -> list[Outcome]:
    if (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {1})  # the users on the other CPU than the server's
    clients = client_ids(served.base, api_key)
    today = date.today()
    portal_auth: dict[str, object] = {"cookies": sign_in(served.base, password)}
    api_auth: dict[str, object] = {"headers": {"Authorization": f"Bearer {api_key}"}}
    dashboards, reads = dashboard_views(clients, today), json_views(clients, today)

    say(f"first view of each of the {len(dashboards)} dashboards (computed, not cached), one at a time")
    cold = Timings()
    asyncio.run(_each(served.base, portal_auth, dashboards, cold))
    say(describe("uncached dashboards", cold))
    asyncio.run(_each(served.base, api_auth, reads, Timings()))  # the JSON side's first reads, likewise

    portal, api = Timings(), Timings()
    for number in range(rounds):
        for label, auth, views, into in (("portal", portal_auth, dashboards, portal), ("JSON", api_auth, reads, api)):
            say(f"round {number + 1}/{rounds}, {label}: {USERS} users, {seconds:.0f} s, think time {THINK_SECONDS} s")
            measured = asyncio.run(users(served.base, auth, views, seconds, THINK_SECONDS))
            say(describe(label, measured))
            into.extend(measured)
    say(f"portal, no think time: {USERS} users asking again as soon as answered, {seconds:.0f} s")
    busy = asyncio.run(users(served.base, portal_auth, dashboards, seconds, 0.0))
    say(describe("portal, no think time", busy))

    dashboard_p95 = percentile(portal.first_byte, 0.95)
    json_p95 = percentile(api.complete, 0.95)
    errors = portal.errors + api.errors + cold.errors + busy.errors
    return [
        Outcome(
            "portal",
            f"dashboard first byte p95, {USERS} users (think {THINK_SECONDS:.0f} s)",
            f"{dashboard_p95:.1f} ms (p50 {percentile(portal.first_byte, 0.5):.1f})",
            f"< {TARGET_MS:.0f} ms",
            dashboard_p95 < TARGET_MS and errors == 0,
        ),
        Outcome(
            "portal",
            "dashboard first byte p95 / its 8 JSON reads p95",
            f"{dashboard_p95 / json_p95:.2f} ({json_p95:.1f} ms for the JSON)",
            "",
            None,
        ),
        Outcome(
            "portal",
            "uncached dashboard, first byte p50 / max",
            f"{statistics.median(cold.first_byte):.0f} / {max(cold.first_byte):.0f} ms",
            "",
            None,
        ),
        Outcome(
            "portal",
            f"no think time: {len(busy.first_byte) / seconds:.0f} dashboards/s, p95",
            f"{percentile(busy.first_byte, 0.95):.1f} ms",
            "",
            None,
        ),
        Outcome("portal", "non-200 answers", str(errors), "0", errors == 0),
    ]


async def _each(base: str, auth: dict[str, object], views: Sequence[Sequence[str]], into: Timings) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60, **auth) as client:  # type: ignore[arg-type]
        for paths in views:
            await view(client, paths, into)
