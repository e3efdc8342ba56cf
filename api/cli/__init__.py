"""The `resonance` command: serve, migrate, worker, demo, backup, restore, connectors, tenants, API keys, billing,
sentiment.

Each group of commands lives in its own module; this one puts them together. Every failure the operator can
fix is reported as one plain sentence on stderr with exit code 1; no traceback reaches the terminal.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer

import api.models  # noqa: F401  - every table must be known before any session is used
from api.cli import backup, data_rights, server  # noqa: F401  - data_rights adds commands to `tenant`
from api.cli.billing import billing_app
from api.cli.connectors import connector_app
from api.cli.sentiment import sentiment_app
from api.cli.tenancy import api_key_app, credentials_app, tenant_app

app = typer.Typer(
    help="Resonance: what a company's presence on social networks is worth.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"resonance {version('resonance')}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", callback=_print_version, is_eager=True),
    ] = False,
) -> None:
    """Resonance: what a company's presence on social networks is worth."""


for command in (
    server.migrate,
    server.serve,
    server.worker,
    server.scheduler,
    server.demo,
    backup.backup,
    backup.restore,
):
    app.command()(command)
app.add_typer(connector_app, name="connector")
app.add_typer(tenant_app, name="tenant")
app.add_typer(api_key_app, name="api-key")
app.add_typer(credentials_app, name="credentials")
app.add_typer(billing_app, name="billing")
app.add_typer(sentiment_app, name="sentiment")


def main() -> None:
    """Entry point of the `resonance` console script."""
    app()
