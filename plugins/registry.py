"""Loads plugins from the `resonance.plugins` entry points and isolates the broken ones.

pluggy's own `load_setuptools_entrypoints` stops at the first plugin that fails to import; here
each plugin is loaded and each hook implementation called on its own, so one broken plugin is
reported with its error and never stops the app or another plugin.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any, cast

import pluggy
from resonance_sdk import _hookspecs
from resonance_sdk._catalog import CanonicalMetric, built_in_metrics
from resonance_sdk._connector import Connector, MetricDeclaration
from resonance_sdk._sentiment import SentimentAnalyzer

logger = logging.getLogger("resonance.plugins")

ALLOW_ENV = "RESONANCE_PLUGINS"
"""Comma-separated entry-point names to load; unset loads every installed plugin."""

BUILT_IN_DISTRIBUTION = "resonance"
"""The distribution whose entry points are the built-in connectors; they load first."""

TRACE_ENV = "RESONANCE_PLUGIN_TRACE"
"""Set to 1 to log every hook call with its arguments and results."""


@dataclass(frozen=True)
class PluginProblem:
    """A plugin, or one of its connectors, that could not be used, and why."""

    plugin: str
    error: str
    connector_id: str | None = None


@dataclass
class Registry:
    """The loaded plugins: their connectors by id, the metric catalogue, and what failed."""

    manager: pluggy.PluginManager
    connectors: dict[str, type[Connector]] = field(default_factory=dict)
    connector_plugins: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, CanonicalMetric] = field(default_factory=built_in_metrics)
    problems: list[PluginProblem] = field(default_factory=list)
    sentiment_analyzer: SentimentAnalyzer | None = None
    """The first analyser a plugin returned from `resonance_sentiment_analyzer`; None means the default."""
    sentiment_plugin: str | None = None

    def connector(self, connector_id: str) -> type[Connector] | None:
        """The connector class registered under `connector_id`, if it loaded."""
        return self.connectors.get(connector_id)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _allowed() -> set[str] | None:
    raw = os.environ.get(ALLOW_ENV, "").strip()
    if not raw:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _plugin_name(manager: pluggy.PluginManager, plugin: object) -> str:
    return manager.get_name(plugin) or str(getattr(plugin, "__name__", repr(plugin)))


def _check_connector(candidate: Any) -> str | None:
    """Why `candidate` is not a usable connector class, or None when it is."""
    if not (isinstance(candidate, type) and issubclass(candidate, Connector)):
        return f"{candidate!r} is not a subclass of plugins.sdk.Connector"
    for attribute in ("id", "name", "version"):
        if not isinstance(getattr(candidate, attribute, None), str) or not getattr(candidate, attribute):
            return f"connector class {candidate.__name__} has no {attribute!r} string"
    metrics = candidate.metrics
    if not isinstance(metrics, tuple | list) or not all(isinstance(d, MetricDeclaration) for d in metrics):
        return f"connector class {candidate.__name__}: metrics must be a tuple of plugins.sdk.MetricDeclaration"
    return None


def _call_each(manager: pluggy.PluginManager, hook_name: str, registry: Registry) -> Iterable[tuple[str, list[Any]]]:
    """Call every implementation of a hook separately, so one that raises (or returns junk) fails alone."""
    caller = getattr(manager.hook, hook_name)
    # Implementations are called directly, bypassing pluggy's own tracing, so the trace is logged here.
    tracing = os.environ.get(TRACE_ENV) == "1"
    # Registration order (built-ins, then third parties by name, then `extra_plugins`): the first to
    # provide a connector id keeps it. pluggy's own call order is the reverse, last registered first.
    for impl in caller.get_hookimpls():
        name = _plugin_name(manager, impl.plugin)
        try:
            result = impl.function()
        except Exception as error:  # a plugin's bug must not stop the others
            logger.warning("plugin %s failed in %s: %s", name, hook_name, _describe(error))
            registry.problems.append(PluginProblem(plugin=name, error=f"{hook_name}: {_describe(error)}"))
            continue
        if tracing:
            logger.info("hook trace: %s() from plugin %s returned %r", hook_name, name, result)
        if result is None:
            continue
        if not isinstance(result, list | tuple):
            wrong_shape = f"{hook_name} returned {result!r}, not a list"
            logger.warning("plugin %s: %s", name, wrong_shape)
            registry.problems.append(PluginProblem(plugin=name, error=wrong_shape))
            continue
        yield name, list(result)


def _check_analyzer(candidate: Any) -> str | None:
    """Why `candidate` is not a usable sentiment analyser, or None when it is."""
    for attribute in ("name", "version"):
        if not isinstance(getattr(candidate, attribute, None), str) or not getattr(candidate, attribute):
            return f"analyser {candidate!r} has no {attribute!r} string"
    if not callable(getattr(candidate, "analyse", None)):
        return f"analyser {candidate!r} has no analyse(texts, languages) method"
    return None


def _first_analyzer(manager: pluggy.PluginManager, registry: Registry) -> None:
    """pluggy's `firstresult` order (last registered first), each implementation isolated like a connector's."""
    caller = manager.hook.resonance_sentiment_analyzer
    tracing = os.environ.get(TRACE_ENV) == "1"
    for impl in reversed(caller.get_hookimpls()):
        name = _plugin_name(manager, impl.plugin)
        try:
            result = impl.function()
        except Exception as error:  # a broken analyser plugin leaves the next one, or the default, in charge
            logger.warning("plugin %s failed in resonance_sentiment_analyzer: %s", name, _describe(error))
            registry.problems.append(
                PluginProblem(plugin=name, error=f"resonance_sentiment_analyzer: {_describe(error)}")
            )
            continue
        if tracing:
            logger.info("hook trace: resonance_sentiment_analyzer() from plugin %s returned %r", name, result)
        if result is None:
            continue
        problem = _check_analyzer(result)
        if problem is not None:
            logger.warning("plugin %s: %s", name, problem)
            registry.problems.append(PluginProblem(plugin=name, error=f"resonance_sentiment_analyzer: {problem}"))
            continue
        registry.sentiment_analyzer, registry.sentiment_plugin = cast(SentimentAnalyzer, result), name
        return


def _is_built_in(entry_point: EntryPoint) -> bool:
    dist = entry_point.dist
    return dist is not None and dist.name is not None and dist.name.lower() == BUILT_IN_DISTRIBUTION


def _entry_points() -> list[EntryPoint]:
    # Built-in connectors first, so a third-party connector reusing a built-in id is the one refused,
    # whatever its plugin's name sorts as; then by name, so the outcome never depends on install order.
    found = entry_points(group=_hookspecs.ENTRY_POINT_GROUP)
    return sorted(found, key=lambda ep: (not _is_built_in(ep), ep.name))


def load_registry(extra_plugins: Iterable[ModuleType | object] = ()) -> Registry:
    """Load every allowed plugin from the entry points (plus `extra_plugins`) and collect their hooks."""
    manager = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
    manager.add_hookspecs(_hookspecs)
    registry = Registry(manager=manager)
    allowed = _allowed()
    for entry_point in _entry_points():
        if allowed is not None and entry_point.name not in allowed:
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=entry_point.name)
        except Exception as error:  # an import error in one plugin is that plugin's problem only
            logger.warning("plugin %s failed to load: %s", entry_point.name, _describe(error))
            registry.problems.append(PluginProblem(plugin=entry_point.name, error=_describe(error)))
    for plugin in extra_plugins:
        if not manager.is_registered(plugin):  # already loaded through its entry point
            manager.register(plugin)
    if os.environ.get(TRACE_ENV) == "1":
        manager.trace.root.setwriter(lambda message: logger.info("hook trace: %s", message.rstrip()))
        manager.enable_tracing()

    for _name, metrics in _call_each(manager, "resonance_metric_definitions", registry):
        for metric in metrics:
            if isinstance(metric, CanonicalMetric) and metric.id not in registry.metrics:
                registry.metrics[metric.id] = metric

    for name, connectors in _call_each(manager, "resonance_connectors", registry):
        for candidate in connectors:
            problem = _check_connector(candidate)
            connector_id = getattr(candidate, "id", None)
            connector_id = connector_id if isinstance(connector_id, str) else None
            if problem is None:
                undeclared = [d.canonical for d in candidate.metrics if d.canonical not in registry.metrics]
                if undeclared:
                    problem = f"maps to unknown canonical metrics: {', '.join(sorted(undeclared))}"
            if problem is None and connector_id in registry.connectors:
                problem = (
                    f"connector id {connector_id!r} is already provided by {registry.connector_plugins[connector_id]}"
                )
            if problem is not None:
                registry.problems.append(PluginProblem(plugin=name, error=problem, connector_id=connector_id))
                continue
            registry.connectors[candidate.id] = candidate
            registry.connector_plugins[candidate.id] = name

    _first_analyzer(manager, registry)
    return registry
