"""The reference tables stay complete and true: the command line page lists every `resonance` command with
options it really has, and the configuration page every variable Resonance reads."""

from __future__ import annotations

import re
from typing import Any

import typer

from api.cli import app as cli
from tests.docs.fences import DOCS, ROOT

CLI_PAGE = DOCS / "operations" / "cli.md"
CONFIGURATION_PAGE = DOCS / "operations" / "configuration.md"
SETTINGS_SOURCES = (ROOT / "tenants" / "settings.py", ROOT / "plugins" / "registry.py")


def leaves(command: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every runnable command of the CLI by its words (`("tenant", "domain", "add")`)."""
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return {path: command}
    found: dict[tuple[str, ...], Any] = {}
    for name, subcommand in subcommands.items():
        found |= leaves(subcommand, (*path, name))
    return found


def documented_commands() -> list[tuple[int, str]]:
    """The first cell of each row of the command table: `resonance …` in a code span, with its line."""
    rows = []
    for number, line in enumerate(CLI_PAGE.read_text(encoding="utf-8").splitlines(), start=1):
        cell = re.match(r"\| `(resonance [^`]*)` \|", line)
        if cell:
            rows.append((number, cell[1]))
    return rows


def expand(usage: str) -> list[tuple[list[str], list[str]]]:
    """`resonance tenant domain add/list TENANT_ID [--x]` → each command's words, with the options the row names."""
    words = usage.split()[1:]
    path: list[list[str]] = []
    for word in words:
        if not re.fullmatch(r"[a-z][a-z0-9-]*(/[a-z][a-z0-9-]*)*", word):
            break
        path.append(word.split("/"))
    options = re.findall(r"--[a-z][a-z0-9-]*", usage)
    expanded: list[list[str]] = [[]]
    for alternatives in path:
        expanded = [[*prefix, alternative] for prefix in expanded for alternative in alternatives]
    return [(command, options) for command in expanded]


def test_the_command_table_names_every_command_with_real_options() -> None:
    commands = leaves(typer.main.get_command(cli))
    seen: set[tuple[str, ...]] = set()
    problems = []
    for number, usage in documented_commands():
        for words, options in expand(usage):
            command = commands.get(tuple(words))
            if command is None:
                problems.append(f"{CLI_PAGE.relative_to(ROOT)}:{number}: `resonance {' '.join(words)}` is no command")
                continue
            seen.add(tuple(words))
            known = {option for parameter in command.params for option in getattr(parameter, "opts", [])}
            problems += [
                f"{CLI_PAGE.relative_to(ROOT)}:{number}: `resonance {' '.join(words)}` has no option {option}"
                for option in options
                if option not in known
            ]
    problems += [
        f"{CLI_PAGE.relative_to(ROOT)}: `resonance {' '.join(words)}` is missing from the table"
        for words in sorted(set(commands) - seen)
    ]
    assert problems == [], "\n".join(problems)


def test_the_configuration_table_names_every_variable() -> None:
    page = CONFIGURATION_PAGE.read_text(encoding="utf-8")
    read = {
        name
        for source in SETTINGS_SOURCES
        for name in re.findall(r"[\"'](RESONANCE_[A-Z0-9_]+)[\"']", source.read_text(encoding="utf-8"))
    }
    missing = sorted(name for name in read if f"| `{name}` |" not in page)
    assert missing == [], f"{CONFIGURATION_PAGE.relative_to(ROOT)} has no row for {missing}"
