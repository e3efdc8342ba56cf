"""Every code sample of the README and the documentation site works against the real thing.

Python samples run (a sample whose first line says it needs a running server is only compiled), JSON samples
parse, every `resonance …` command line parses against the real CLI, every `curl` call names an operation of
the app's OpenAPI document, and every `RESONANCE_*` variable the documentation names is one Resonance reads.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import typer
from typer.testing import CliRunner

from api.app import create_app
from api.billing.plans import load_plans
from api.cli import app as cli
from api.openapi import operations
from tenants.settings import Settings, SettingsError
from tests.docs.fences import ROOT, Block, Command, all_blocks, commands, documents

SHELL = ("sh", "bash", "shell", "console")
NEEDS_SERVER = "needs a running server"
"""The first line of a Python sample that cannot run here (a comment saying so): it is compiled, not run."""

CURL_DATA_OPTIONS = {"-d", "--data", "--data-binary", "--data-raw", "--data-urlencode", "--json", "-F", "--form"}
CURL_OPTIONS_WITH_VALUE = {"-X", "--request", "-H", "--header", "-o", "--output", "-u", "--user", *CURL_DATA_OPTIONS}

SETTINGS_SOURCES = (
    ROOT / "tenants" / "settings.py",  # the one settings object
    ROOT / "plugins" / "registry.py",  # which plugins load, and tracing their hooks
    ROOT / "tests" / "conftest.py",  # the test suite's PostgreSQL and Redis
)
COMPOSE = ROOT / "deploy" / "compose.yaml"
SHELL_VARIABLES = {"RESONANCE_KEY": ROOT / "api" / "cli" / "server.py"}
"""`RESONANCE_*` names that are no setting: the shell variable `resonance demo` tells its user to export, checked
to be still what that file prints."""


def shell_commands(program: str) -> list[Command]:
    return [
        command
        for block in all_blocks(*SHELL)
        for command in commands(block)
        if command.words[0].rsplit("/", 1)[-1] == program
    ]


def ids(items: list[Command] | list[Block]) -> list[str]:
    return [item.where for item in items]


# -- Python and JSON


PYTHON = all_blocks("python", "py")


@pytest.mark.parametrize("block", PYTHON, ids=ids(PYTHON))
def test_python_samples_run(block: Block) -> None:
    code = compile(block.text, block.where, "exec")
    first_line = block.text.lstrip().splitlines()[0]
    if first_line.startswith("#") and NEEDS_SERVER in first_line.lower():
        return  # compiled above: it talks to a server that is not running here
    exec(code, {"__name__": "__doc_sample__"})  # noqa: S102 - our own documentation


JSON = all_blocks("json")


@pytest.mark.parametrize("block", JSON, ids=ids(JSON))
def test_json_samples_parse(block: Block) -> None:
    try:
        json.loads(block.text)
    except json.JSONDecodeError as error:
        pytest.fail(f"{block.where}: the JSON sample does not parse: {error}")


PLANS_PAGES = {ROOT / "docs" / "billing" / "stripe.md"}
"""Pages whose JSON samples are `RESONANCE_PLANS` values: they must load as the service loads that variable."""


PLANS = [block for block in JSON if block.path in PLANS_PAGES]


@pytest.mark.parametrize("block", PLANS, ids=ids(PLANS))
def test_plans_samples_load(block: Block) -> None:
    first_plan = next(iter(json.loads(block.text)))
    try:
        load_plans(Settings(plans_config=block.text, default_plan=first_plan))
    except SettingsError as error:
        pytest.fail(f"{block.where}: the sample is no valid RESONANCE_PLANS: {error}")


def test_the_plans_pages_have_samples() -> None:
    assert PLANS, "no RESONANCE_PLANS sample found"


# -- the command line


RESONANCE = shell_commands("resonance")


def test_the_documentation_runs_resonance_commands() -> None:
    assert RESONANCE, "no `resonance …` command found in any shell sample: is the extraction broken?"


@pytest.mark.parametrize("command", RESONANCE, ids=ids(RESONANCE))
def test_resonance_commands_parse_against_the_cli(command: Command) -> None:
    arguments = command.words[1:]
    group = typer.main.get_command(cli)
    leaf = group
    for word in arguments:
        subcommands = getattr(leaf, "commands", None)
        if not subcommands or word.startswith("-"):
            break
        assert word in subcommands, f"{command.where}: `{command}`: `{word}` is not one of {sorted(subcommands)}"
        leaf = subcommands[word]
    assert not getattr(leaf, "commands", None), f"{command.where}: `{command}` names a group, not a command"
    known = {option for parameter in leaf.params for option in getattr(parameter, "opts", [])}
    for word in arguments:
        if word.startswith("--"):
            name = word.split("=", 1)[0]
            assert name in known, f"{command.where}: `{command}`: no option {name} here, only {sorted(known)}"
    result = CliRunner().invoke(cli, [*arguments, "--help"])
    assert result.exit_code == 0, f"{command.where}: `{command} --help` exits {result.exit_code}:\n{result.output}"


# -- curl against the OpenAPI document


CURL = shell_commands("curl")


@cache
def documented_operations() -> frozenset[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite:///:memory:", scheduler_enabled=False))
    return frozenset((method, route.path_format) for route, _handler, method, _operation in operations(app))


def is_placeholder(segment: str) -> bool:
    """`$CLIENT`, `${ACCOUNT}`, `SYNC_ID`, `…`: a segment the reader fills with an id."""
    return segment.startswith("$") or re.fullmatch(r"[A-Z][A-Z0-9_]*", segment) is not None or "…" in segment


def matches(path: str, template: str) -> bool:
    segments, pattern = path.strip("/").split("/"), template.strip("/").split("/")
    if len(segments) != len(pattern):
        return False
    for segment, expected in zip(segments, pattern, strict=True):
        parameter = expected.startswith("{") and expected.endswith("}")
        if is_placeholder(segment) != parameter or (not parameter and segment != expected):
            return False
    return True


def method_and_path(command: Command) -> tuple[str, str]:
    method, data, url = None, False, None
    words = command.words[1:]
    for index, word in enumerate(words):
        previous = words[index - 1] if index else ""
        if previous in CURL_OPTIONS_WITH_VALUE:
            if previous in ("-X", "--request"):
                method = word.upper()
            continue
        if word in CURL_DATA_OPTIONS:
            data = True
        elif not word.startswith("-"):
            url = word
    assert url is not None, f"{command.where}: `{command}` has no URL"
    if "://" not in url:
        url = "http://" + url
    return method or ("POST" if data else "GET"), urlsplit(url).path


def test_the_documentation_calls_the_api_with_curl() -> None:
    assert len(CURL) >= 10, f"only {len(CURL)} curl calls found in the shell samples: is the extraction broken?"


@pytest.mark.parametrize("command", CURL, ids=ids(CURL))
def test_curl_calls_are_documented_operations(command: Command) -> None:
    method, path = method_and_path(command)
    documented = documented_operations()
    paths = sorted({template for _method, template in documented if matches(path, template)})
    assert paths, f"{command.where}: `{method} {path}` is no path of the OpenAPI document"
    assert any((method, template) in documented for template in paths), (
        f"{command.where}: `{method} {path}`: {paths} has no {method} operation"
    )


# -- environment variables


def read_names() -> set[str]:
    names = {
        name
        for source in SETTINGS_SOURCES
        for name in re.findall(r"[\"'](RESONANCE_[A-Z0-9_]+)[\"']", source.read_text(encoding="utf-8"))
    }
    names |= set(re.findall(r"\$\{(RESONANCE_[A-Z0-9_]+)", COMPOSE.read_text(encoding="utf-8")))
    return names


def test_shell_variables_are_still_what_the_code_prints() -> None:
    for name, source in SHELL_VARIABLES.items():
        assert name in source.read_text(encoding="utf-8"), f"{source.relative_to(ROOT)} no longer mentions {name}"


def test_documented_environment_variables_exist() -> None:
    known = read_names() | set(SHELL_VARIABLES)
    unknown = [
        f"{path.relative_to(ROOT)}:{number}: {name}"
        for path in documents()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for name in re.findall(r"RESONANCE_[A-Z0-9_]*[A-Z0-9]", line)
        if name not in known
    ]
    assert unknown == [], "variables Resonance does not read (tenants/settings.py and others):\n" + "\n".join(unknown)


def test_the_checks_see_every_document() -> None:
    pages = {path.relative_to(ROOT).as_posix() for path in documents()}
    assert {"README.md", "docs/index.md", "docs/integrations/webhooks.md"} <= pages
    assert all(Path(ROOT, page).is_file() for page in pages)
