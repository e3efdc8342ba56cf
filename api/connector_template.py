"""`resonance connector new NAME`: the SDK's connector template, from the service's command line.

The template itself (its files and how they are filled in) belongs to the SDK (`resonance_sdk.template`),
so a plugin author without the service gets the same package with `resonance-connector-new NAME`; this is
only the command `api/cli.py` registers, reporting like every other `resonance` command (one sentence on
stderr, exit code 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from resonance_sdk.template import new_connector
from rich.console import Console

_out = Console(soft_wrap=True)
_err = Console(stderr=True)


def connector_new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The connector id, lower_snake_case, e.g. pebble.")],
    directory: Annotated[
        Path, typer.Option(help="Where to create resonance-NAME/ (default: the current directory).")
    ] = Path(),
) -> None:
    """Generate a connector package: pyproject with the entry point, the connector class, a conformance test."""
    try:
        target = new_connector(name, directory)
    except (ValueError, FileExistsError) as error:
        _err.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(code=1) from None
    for path in sorted(target.rglob("*")):
        if path.is_file():
            _out.print(str(path.relative_to(directory)), highlight=False)
    _err.print(f"created {target}: cd into it, pip install -e '.[test]', then pytest", highlight=False)
