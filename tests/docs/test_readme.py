"""The README is the front door: short, with the two commands a newcomer needs, and links that lead somewhere."""

from __future__ import annotations

import re

from tests.docs.fences import README, ROOT, blocks

LIMIT = 12_000
"""Bytes: the README is a front door; everything else lives in docs/."""

DEMO_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e plugins/resonance-sdk -e . && .venv/bin/resonance demo"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e plugins/resonance-sdk -e '.[test]' -e plugins/examples/feed"
    " && .venv/bin/python -m pytest -n 2 -q"
)


def shell_lines() -> list[str]:
    return [line for block in blocks(README) if block.language == "sh" for line in block.text.splitlines()]


def test_the_readme_stays_short() -> None:
    size = len(README.read_bytes())
    assert size < LIMIT, f"README.md is {size} bytes, over {LIMIT}: move the detail to a page of docs/"


def test_the_readme_shows_the_demo_and_the_test_commands() -> None:
    lines = shell_lines()
    assert DEMO_COMMAND in lines, "README.md lost the command that sets up and runs the demo"
    assert TEST_COMMAND in lines, "README.md lost the command that sets up and runs the tests"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    marker = next(index for index, line in enumerate(ci) if "Keep in step with README.md" in line)
    assert ci[marker + 1] == TEST_COMMAND, ".ci/run no longer runs the README's test command"


def test_the_readmes_links_lead_to_files() -> None:
    text = README.read_text(encoding="utf-8")
    targets = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target]
    assert any(target.startswith("docs/") for target in targets), "README.md links to no page of docs/"
    missing = [target for target in targets if not (ROOT / target.split("#", 1)[0]).exists()]
    assert missing == [], f"README.md links to files that do not exist: {missing}"
