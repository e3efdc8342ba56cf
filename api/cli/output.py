"""What every command shares: the two consoles, the one-sentence failure, and running a coroutine.

Every failure the operator can fix is reported as one plain sentence on stderr with exit code 1;
no traceback reaches the terminal.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from tenants.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:  # the app's classes are imported only by the commands that build it
    from api.services import Services

T = TypeVar("T")

err = Console(stderr=True, soft_wrap=True)  # a path or a command in a sentence is never broken mid-word
out = Console(soft_wrap=True)


class CliError(Exception):
    """A problem the operator can fix; its message is printed as is."""


def fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=1)


def id_or_fail(value: str, what: str, kind: str = "an id") -> uuid.UUID:
    """`value` as an id, or a sentence naming the argument (`what`, `kind` of id) and exit code 1."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise fail(f"{what} must be {kind} (a UUID), got {value!r}.") from None


def settings_or_fail() -> Settings:
    """The process's settings, checked; a sentence and exit code 1 when they are wrong."""
    try:
        settings = load_settings()
        settings.validate()
    except SettingsError as error:
        raise fail(str(error)) from None
    return settings


def run(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `coroutine()`, turning a `CliError` or an unreachable database or file into a sentence."""
    try:
        return asyncio.run(coroutine())
    except CliError as error:
        raise fail(str(error)) from None
    except OSError as error:
        raise fail(f"could not reach the database or a file: {error.strerror or error}.") from None


async def release(services: Services) -> None:
    """Close what `build_services` opened: the database's connections, the task engine's and the billing backend's
    connection pools."""
    await services.background.close()
    await services.database.dispose()
    await services.billing.close()
