"""`resonance connector list` and `run`: connector plugins, for operators and plugin authors."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer

from api.cli.output import CliError, err, fail, out, run
from api.connector_template import connector_new
from api.connectors.egress import egress_policy
from plugins.registry import load_registry
from plugins.sdk import AccountRef, ConnectorError, Window
from tenants.settings import SettingsError, load_settings

connector_app = typer.Typer(help="Inspect and run connector plugins.", no_args_is_help=True)


@connector_app.command("list")
def connector_list() -> None:
    """List installed connectors, and plugins that failed to load."""
    registry = load_registry()
    for connector_id in sorted(registry.connectors):
        connector = registry.connectors[connector_id]
        capabilities = ", ".join(sorted(connector.capabilities))
        out.print(
            f"{connector_id}\t{connector.name} {connector.version}\t{len(connector.metrics)} metrics\t"
            f"{capabilities}\t(plugin {registry.connector_plugins[connector_id]})",
            highlight=False,
        )
    for problem in registry.problems:
        err.print(f"[yellow]plugin {problem.plugin} failed:[/yellow] {problem.error}", highlight=False)


def _parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2026-01-31, got {value!r}.") from None


connector_app.command("new")(connector_new)


@connector_app.command("run")
def connector_run(
    connector_id: Annotated[str, typer.Argument(metavar="CONNECTOR", help="Connector id, e.g. demo.")],
    account: Annotated[str, typer.Option(help="Account handle to fetch.")],
    since: Annotated[str, typer.Option(help="First day (YYYY-MM-DD).")],
    until: Annotated[str, typer.Option(help="Last day, included (YYYY-MM-DD).")],
    config: Annotated[Path | None, typer.Option(help="JSON file with credentials (and optional settings).")] = None,
    base_url: Annotated[str | None, typer.Option(help="Call this API base URL instead of the network's.")] = None,
    kind: Annotated[str, typer.Option(help="owned or competitor.")] = "owned",
    external_id: Annotated[str | None, typer.Option(help="The account's id on the network, if known.")] = None,
) -> None:
    """Run one connector once and print its normalized records as JSON lines (for plugin authors)."""
    registry = load_registry()
    connector_class = registry.connector(connector_id)
    if connector_class is None:
        known = ", ".join(sorted(registry.connectors)) or "none"
        raise fail(f"no installed connector is called {connector_id!r}; installed: {known}.")
    window = Window(since=_parse_day(since, "--since"), until=_parse_day(until, "--until"))
    if window.since > window.until:
        raise fail("--since is after --until.")
    credentials: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    if config is not None:
        try:
            loaded = json.loads(config.read_text())
        except FileNotFoundError:
            raise fail(f"the config file {config} does not exist.") from None
        except json.JSONDecodeError as error:
            raise fail(f"the config file {config} is not valid JSON (line {error.lineno}: {error.msg}).") from None
        if not isinstance(loaded, dict):
            raise fail(f"the config file {config} must hold a JSON object.")
        credentials = loaded.get("credentials", {k: v for k, v in loaded.items() if k != "settings"})
        settings = loaded.get("settings", {})
    if kind not in {"owned", "competitor"}:
        raise fail("--kind must be owned or competitor.")
    reference = AccountRef(
        handle=account,
        external_id=external_id,
        kind="competitor" if kind == "competitor" else "owned",
        credentials=credentials,
        settings=settings,
    )

    try:
        egress = egress_policy(load_settings())
    except SettingsError as error:
        raise fail(str(error)) from None

    async def main() -> int:
        connector = connector_class(base_url=base_url, egress=egress)
        count = 0
        try:
            async for record in connector.fetch(reference, window, {}):
                payload = {"type": type(record).__name__, **msgspec.to_builtins(record)}
                sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
                count += 1
        except ConnectorError as error:
            raise CliError(
                f"connector {connector_id} failed after {count} records: {type(error).__name__}: {error}"
            ) from None
        return count

    count = run(main)
    err.print(f"{count} records", highlight=False)
