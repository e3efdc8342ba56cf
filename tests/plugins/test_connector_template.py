"""The connector template: `resonance connector new NAME` (and the SDK's `resonance-connector-new`) writes a
package whose own conformance tests pass, and which declares the entry point and the SDK only."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from resonance_sdk import ENTRY_POINT_GROUP, SDK_VERSION
from resonance_sdk.template import main, new_connector, placeholders
from typer.testing import CliRunner

from api.cli import app as cli

EXPECTED_FILES = {
    "pyproject.toml",
    "README.md",
    "resonance_sea_otter/__init__.py",
    "resonance_sea_otter/py.typed",
    "tests/test_sea_otter_conformance.py",
}


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file()}


def test_the_generated_package_passes_its_own_conformance_tests(tmp_path: Path) -> None:
    target = new_connector("sea_otter", tmp_path)
    assert target == tmp_path / "resonance-sea_otter"
    assert files_under(target) == EXPECTED_FILES
    assert "{{" not in "".join(path.read_text(encoding="utf-8") for path in target.rglob("*") if path.is_file())

    # The package as a pytest run in its own folder sees it: the SDK (installed here) and the package only.
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "14 passed" in done.stdout, done.stdout
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--line-length", "120", "."],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_generated_pyproject_registers_the_plugin_and_needs_the_sdk_only(tmp_path: Path) -> None:
    project = tomllib.loads((new_connector("sea_otter", tmp_path) / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["name"] == "resonance-sea_otter"
    assert project["project"]["entry-points"][ENTRY_POINT_GROUP] == {"sea_otter": "resonance_sea_otter"}
    requirements = {Requirement(line).name: Requirement(line) for line in project["project"]["dependencies"]}
    assert "resonance" not in requirements
    assert requirements["resonance-sdk"].specifier.contains(SDK_VERSION)


def test_placeholders_name_the_class_and_the_module() -> None:
    values = placeholders("sea_otter")
    assert values["class_name"] == "SeaOtterConnector"
    assert values["module"] == "resonance_sea_otter"
    assert values["title"] == "Sea Otter"


def test_resonance_connector_new_writes_the_package_and_lists_its_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["connector", "new", "sea_otter", "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "resonance-sea_otter"
    assert files_under(target) == EXPECTED_FILES
    assert "resonance-sea_otter/tests/test_sea_otter_conformance.py" in result.output

    again = CliRunner().invoke(cli, ["connector", "new", "sea_otter", "--directory", str(tmp_path)])
    assert again.exit_code == 1
    assert "exists already" in again.output


@pytest.mark.parametrize("name", ["Pebble", "9lives", "sea-otter", ""])
def test_a_name_that_is_no_connector_id_is_refused(tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["connector", "new", name, "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert "lower_snake_case" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_sdks_own_command_works_without_the_service(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pebble", "--directory", str(tmp_path)]) == 0
    assert "resonance-pebble/resonance_pebble/__init__.py" in capsys.readouterr().out
    assert main(["pebble", "--directory", str(tmp_path)]) == 1
