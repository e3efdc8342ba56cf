"""The plugin author's guide and the SDK's public face cannot drift from the code (Datasette's and httpx's habit).

Every hook specification in `resonance_sdk._hookspecs` has a docstring, a `### name` section in
plugins/README.md showing its signature, and a test under tests/ that names it; `resonance_sdk` (and its
`testing` module), like their aliases `plugins.sdk` and `plugins.sdk.testing`, expose exactly the names in
their `__all__`, each of which the guide mentions.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import resonance_sdk
import resonance_sdk.testing
from resonance_sdk import PROJECT_NAME, _hookspecs

import plugins.sdk
import plugins.sdk.testing

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "plugins" / "README.md"
TESTS = ROOT / "tests"
THIS_FILE = Path(__file__).resolve()

PUBLIC_SUBMODULES = {
    resonance_sdk: {"testing", "template"},
    resonance_sdk.testing: set(),
    plugins.sdk: {"testing"},
    plugins.sdk.testing: set(),
}
"""Submodules that are public faces of their own: importing them makes them attributes of their parent."""


def hookspecs() -> dict[str, Callable[..., Any]]:
    """The hook specifications, found by pluggy's marker rather than by a list that could go stale."""
    marker = f"{PROJECT_NAME}_spec"
    return {name: value for name, value in vars(_hookspecs).items() if callable(value) and hasattr(value, marker)}


HOOKS = sorted(hookspecs())


def guide_sections(depth: int) -> dict[str, str]:
    """The guide's sections at one heading depth (2 for `##`), by title, each up to the next heading as deep or
    shallower; lines inside code fences (where `#` starts a comment) are never headings."""
    sections: dict[str, list[str]] = {}
    open_titles: list[tuple[int, str]] = []
    fenced = False
    for line in GUIDE.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#{1,6}) (.+?)\s*$", line)
        if heading:
            level = len(heading.group(1))
            open_titles = [(d, title) for d, title in open_titles if d < level]
            if level == depth:
                open_titles.append((level, heading.group(2)))
                sections[heading.group(2)] = []
                continue
        for _, title in open_titles:
            sections[title].append(line)
    return {title: "\n".join(lines) for title, lines in sections.items()}


def hooks_chapter() -> str:
    chapters = guide_sections(2)
    assert "Hooks" in chapters, "plugins/README.md must have a '## Hooks' chapter"
    return chapters["Hooks"]


def test_the_hookspecs_are_found() -> None:
    assert {"resonance_connectors", "resonance_metric_definitions"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring(hook: str) -> None:
    docstring = inspect.getdoc(hookspecs()[hook])
    assert docstring, f"hookspec {hook} has no docstring"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_the_guide_with_its_signature(hook: str) -> None:
    sections = guide_sections(3)
    assert hook in sections, f"plugins/README.md has no '### {hook}' section"
    assert f"### {hook}" in hooks_chapter(), f"the '### {hook}' section is not in the guide's Hooks chapter"
    arguments = ", ".join(inspect.signature(hookspecs()[hook]).parameters)
    assert f"def {hook}({arguments})" in sections[hook], f"the '### {hook}' section does not show def {hook}(...)"
    assert "@hookimpl" in sections[hook], f"the '### {hook}' section has no example implementation"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook: str) -> None:
    mentioning = [
        path
        for path in TESTS.rglob("test_*.py")
        if path.resolve() != THIS_FILE
        and "bench" not in path.relative_to(TESTS).parts
        and re.search(rf"\b{hook}\b", path.read_text(encoding="utf-8"))
    ]
    assert mentioning, f"no test under tests/ mentions hook {hook}"


def test_the_guide_documents_no_hook_that_does_not_exist() -> None:
    documented = re.findall(r"^### (\S+)\s*$", hooks_chapter(), re.MULTILINE)
    assert sorted(documented) == HOOKS, f"the Hooks chapter documents {sorted(documented)}, the hookspecs are {HOOKS}"


def public_names(module: ModuleType) -> set[str]:
    # Not identifiers: the names pytest's assertion rewriting adds to modules it loads as plugins (`@py_builtins`).
    names = {name for name in vars(module) if name.isidentifier() and not name.startswith("_")}
    return names - PUBLIC_SUBMODULES[module]


@pytest.mark.parametrize("module", list(PUBLIC_SUBMODULES), ids=lambda module: module.__name__)
def test_every_name_in_all_exists(module: ModuleType) -> None:
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == [], f"{module.__name__}.__all__ lists names it does not define: {missing}"
    assert len(module.__all__) == len(set(module.__all__)), f"{module.__name__}.__all__ repeats a name"


@pytest.mark.parametrize("module", list(PUBLIC_SUBMODULES), ids=lambda module: module.__name__)
def test_the_module_exposes_nothing_public_beyond_all(module: ModuleType) -> None:
    extra = sorted(public_names(module) - set(module.__all__))
    assert extra == [], f"{module.__name__} exposes public names missing from __all__ (prefix them with _): {extra}"


@pytest.mark.parametrize("module", list(PUBLIC_SUBMODULES), ids=lambda module: module.__name__)
def test_the_guide_mentions_every_public_name(module: ModuleType) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    unmentioned = [name for name in module.__all__ if not re.search(rf"`{re.escape(name)}[`(]", guide)]
    assert unmentioned == [], f"plugins/README.md never mentions these {module.__name__} names: {unmentioned}"
