"""Loading connector plugins from real entry points: broken plugins are reported and isolated.

The broken sample plugins live in `tests/plugins/broken/`; each test installs them as a fake
distribution (`broken_demo-0.1.dist-info`) in a temporary directory put on `sys.path`, so they are
found through `importlib.metadata` exactly like a third-party package installed with pip.
"""

from __future__ import annotations

import importlib
import logging
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from plugins.connectors.demo import DemoConnector
from plugins.registry import PluginProblem, Registry, load_registry
from plugins.sdk import CanonicalMetric, Connector, MetricDeclaration, built_in_metrics, hookimpl
from tests.conftest import TestDatabase, make_settings, run_syncs, sign_up

BROKEN_DIR = Path(__file__).parent / "broken"

BROKEN_PLUGINS = {
    # entry-point name: (module, text its problem must contain)
    "broken_import": ("resonance_broken_import", "No module named 'resonance_missing_network_sdk'"),
    "broken_hook": ("resonance_broken_hook", "RuntimeError: the Frobnicate SDK is not configured"),
    "broken_not_connector": ("resonance_broken_not_connector", "is not a subclass of plugins.sdk.Connector"),
    "broken_unknown_metric": ("resonance_broken_unknown_metric", "unknown canonical metrics: vibes_felt"),
    "broken_duplicate": ("resonance_broken_duplicate", "connector id 'demo' is already provided by demo"),
    "broken_not_a_list": (
        "resonance_broken_not_a_list",
        "returned <class 'resonance_broken_not_a_list.LonelyConnector'>, not a list",
    ),
}
BROKEN_MODULES = [module for module, _ in BROKEN_PLUGINS.values()]


WATCH_TIME = CanonicalMetric(
    id="watch_time", unit="seconds", aggregation="sum", description="Seconds people spent watching videos."
)


class WatchTimeConnector(Connector):
    id = "watchtime"
    name = "Watch-time network"
    version = "0.3.0"
    metrics = (
        MetricDeclaration(native="subscribers", canonical="followers", unit="accounts"),
        MetricDeclaration(native="estimatedSecondsWatched", canonical="watch_time", unit="seconds"),
    )


class WatchTimePlugin:
    """A well-behaved third-party plugin: a new canonical metric and a connector that uses it."""

    @hookimpl
    def resonance_metric_definitions(self) -> list[CanonicalMetric]:
        # Redefining a built-in id must not replace the built-in definition.
        impostor = CanonicalMetric(id="followers", unit="fans", aggregation="sum", description="Not ours.")
        return [WATCH_TIME, impostor]

    @hookimpl
    def resonance_connectors(self) -> list[type[Connector]]:
        return [WatchTimeConnector]


def _forget_broken_modules() -> None:
    for module in BROKEN_MODULES:
        sys.modules.pop(module, None)


def install_distribution(site: Path, monkeypatch: pytest.MonkeyPatch, entries: dict[str, str]) -> None:
    """Install `broken-demo` in `site` with these entry points (name: module of tests/plugins/broken)."""
    site.mkdir(exist_ok=True)
    for module in set(entries.values()):
        shutil.copy(BROKEN_DIR / f"{module}.py", site / f"{module}.py")
    dist_info = site / "broken_demo-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-demo\nVersion: 0.1\n")
    lines = [f"{name} = {module}" for name, module in entries.items()]
    (dist_info / "entry_points.txt").write_text("[resonance.plugins]\n" + "\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()


@pytest.fixture(autouse=True)
def clean_plugin_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No allow-list or trace from the outside, and no sample plugin imported by an earlier test."""
    monkeypatch.delenv("RESONANCE_PLUGINS", raising=False)
    monkeypatch.delenv("RESONANCE_PLUGIN_TRACE", raising=False)
    _forget_broken_modules()
    yield
    _forget_broken_modules()


@pytest.fixture
def broken_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every broken sample plugin installed as the distribution `broken-demo`, found through entry points.

    Only the demo connector and these load, whatever else is installed (the other built-in connectors,
    the example plugin), so the assertions can name exactly what is there.
    """
    monkeypatch.setenv("RESONANCE_PLUGINS", ",".join(["demo", *BROKEN_PLUGINS]))
    site = tmp_path / "site-packages"
    install_distribution(site, monkeypatch, {name: module for name, (module, _) in BROKEN_PLUGINS.items()})
    return site


def _problem_of(registry: Registry, plugin: str) -> PluginProblem:
    found = [problem for problem in registry.problems if problem.plugin == plugin]
    assert len(found) == 1, (plugin, registry.problems)
    return found[0]


def _assert_every_broken_plugin_reported(registry: Registry) -> None:
    assert {problem.plugin for problem in registry.problems} == set(BROKEN_PLUGINS)
    for name, (_, error) in BROKEN_PLUGINS.items():
        assert error in _problem_of(registry, name).error


# --- load_registry ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("broken_distribution")
def test_broken_plugins_are_reported_and_the_demo_connector_still_loads() -> None:
    registry = load_registry()

    assert registry.connector("demo") is DemoConnector
    assert registry.connector_plugins["demo"] == "demo"
    assert set(registry.connectors) == {"demo"}
    assert registry.metrics == built_in_metrics()
    _assert_every_broken_plugin_reported(registry)


@pytest.mark.usefixtures("broken_distribution")
def test_each_problem_names_the_connector_it_concerns() -> None:
    registry = load_registry()

    assert _problem_of(registry, "broken_duplicate").connector_id == "demo"
    assert _problem_of(registry, "broken_unknown_metric").connector_id == "vibes"
    assert _problem_of(registry, "broken_not_connector").connector_id == "lookalike"
    assert _problem_of(registry, "broken_import").connector_id is None
    assert _problem_of(registry, "broken_hook").error.startswith("resonance_connectors: ")


@pytest.mark.parametrize("plugin_name", ["a_demo", "demo_plus", "zz_demo"])
def test_a_plugin_cannot_take_over_a_built_in_connector_id_whatever_its_name(
    plugin_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path, monkeypatch, {plugin_name: "resonance_broken_duplicate"})

    registry = load_registry()

    assert registry.connector("demo") is DemoConnector
    assert registry.connector_plugins["demo"] == "demo"
    assert registry.problems == [
        PluginProblem(plugin=plugin_name, error="connector id 'demo' is already provided by demo", connector_id="demo")
    ]


@pytest.mark.usefixtures("broken_distribution")
def test_plugins_allow_list_loads_only_the_named_plugins_and_imports_nothing_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", "demo")

    registry = load_registry()

    assert registry.problems == []
    assert set(registry.connectors) == {"demo"}
    assert [module for module in BROKEN_MODULES if module in sys.modules] == []


@pytest.mark.usefixtures("broken_distribution")
def test_plugins_allow_list_accepts_several_names_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", " demo , broken_hook ")

    registry = load_registry()

    assert set(registry.connectors) == {"demo"}
    assert [problem.plugin for problem in registry.problems] == ["broken_hook"]
    assert "resonance_broken_import" not in sys.modules


@pytest.mark.usefixtures("broken_distribution")
def test_plugin_trace_logs_hook_calls_and_changes_nothing_else(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    untraced = load_registry(extra_plugins=[WatchTimePlugin()])
    _forget_broken_modules()
    monkeypatch.setenv("RESONANCE_PLUGIN_TRACE", "1")

    with caplog.at_level(logging.INFO, logger="resonance.plugins"):
        traced = load_registry(extra_plugins=[WatchTimePlugin()])

    assert traced.connectors == untraced.connectors
    assert traced.metrics == untraced.metrics
    assert traced.problems == untraced.problems
    trace = [record.getMessage() for record in caplog.records if "hook trace" in record.getMessage()]
    assert any("resonance_connectors" in line and "demo" in line for line in trace), trace
    assert any("resonance_metric_definitions" in line and "watch_time" in line for line in trace), trace


# --- a good third-party plugin ------------------------------------------------------------------------------


def test_extra_plugin_extends_the_metric_catalogue_and_can_use_its_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", "demo")

    registry = load_registry(extra_plugins=[WatchTimePlugin()])

    assert registry.problems == []
    assert registry.metrics["watch_time"] == WATCH_TIME
    assert registry.metrics["followers"] == built_in_metrics()["followers"]
    assert set(registry.metrics) == set(built_in_metrics()) | {"watch_time"}
    assert registry.connector("watchtime") is WatchTimeConnector
    assert registry.connector("demo") is DemoConnector


def test_without_the_extension_the_same_connector_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    class ConnectorOnly:
        @hookimpl
        def resonance_connectors(self) -> list[type[Connector]]:
            return [WatchTimeConnector]

    monkeypatch.setenv("RESONANCE_PLUGINS", "demo")

    registry = load_registry(extra_plugins=[ConnectorOnly()])

    assert registry.connector("watchtime") is None
    assert len(registry.problems) == 1
    assert registry.problems[0].connector_id == "watchtime"
    assert "watch_time" in registry.problems[0].error


# --- through the API ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("broken_distribution")
def test_api_lists_demo_and_every_broken_plugin_with_its_error_and_demo_still_syncs(database: TestDatabase) -> None:
    registry = load_registry()
    app = create_app(make_settings(database), registry=registry)
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)

        listing = client.get("/v1/connectors", headers=agency.headers)
        assert listing.status_code == 200, listing.text
        body = listing.json()
        assert [connector["id"] for connector in body["data"]] == ["demo"]
        assert body["data"][0]["plugin"] == "demo"
        assert body["data"][0]["name"] == "Demo network"
        problems = {problem["plugin"]: problem for problem in body["problems"]}
        assert set(problems) == set(BROKEN_PLUGINS)
        for name, (_, error) in BROKEN_PLUGINS.items():
            assert error in problems[name]["error"]
        assert problems["broken_duplicate"]["connector_id"] == "demo"
        assert client.get("/v1/connectors/vibes", headers=agency.headers).status_code == 404

        created = client.post("/v1/clients", json={"name": "Boulangerie Martin"}, headers=agency.headers)
        assert created.status_code == 201, created.text
        account = client.post(
            f"/v1/clients/{created.json()['id']}/accounts",
            json={"network": "demo", "handle": "martin"},
            headers=agency.headers,
        )
        assert account.status_code == 201, account.text
        sync = client.post(
            f"/v1/accounts/{account.json()['id']}/syncs",
            json={"since": "2026-01-01", "until": "2026-01-03"},
            headers=agency.headers,
        )
        assert sync.status_code == 202, sync.text
        assert run_syncs(client) == 1
        finished = client.get(f"/v1/syncs/{sync.json()['id']}", headers=agency.headers).json()
        assert finished["status"] == "succeeded", finished
        assert finished["metrics_count"] == 3 * len(DemoConnector.metrics)


def test_api_catalogue_includes_metrics_from_an_extra_plugin(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESONANCE_PLUGINS", "demo")
    app = create_app(make_settings(database), registry=load_registry(extra_plugins=[WatchTimePlugin()]))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)

        catalogue = client.get("/v1/metrics/catalog", headers=agency.headers)
        connectors = client.get("/v1/connectors", headers=agency.headers)

    assert catalogue.status_code == 200, catalogue.text
    by_id = {metric["id"]: metric for metric in catalogue.json()["metrics"]}
    assert by_id["watch_time"] == {
        "id": "watch_time",
        "unit": "seconds",
        "aggregation": "sum",
        "description": "Seconds people spent watching videos.",
        "sources": [
            {
                "connector": "watchtime",
                "native": "estimatedSecondsWatched",
                "unit": "seconds",
                "valid_from": None,
                "valid_until": None,
                "replaced_by": None,
            },
        ],
    }
    assert by_id["followers"]["aggregation"] == "last"
    assert [connector["id"] for connector in connectors.json()["data"]] == ["demo", "watchtime"]
    assert connectors.json()["problems"] == []
