"""The SDK is a distribution of its own: its version is true, `plugins.sdk` is its alias, and a connector
installs and passes its tests with the SDK alone.

The isolation test builds a fresh virtual environment in a temporary folder, without network: the
dependencies the SDK and the example plugin declare (and theirs, transitively) are lent from this
environment on `sys.path`, one folder per distribution, and `pip install --no-index` then installs
`resonance-sdk` and `resonance-feed` from their source folders. Nothing of the service is lent, so a
dependency on `resonance` (or an import of `api`, `tenants` or `plugins`) fails the test.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import resonance_sdk
import resonance_sdk.testing
from packaging.requirements import Requirement

import plugins.sdk
import plugins.sdk.testing

ROOT = Path(__file__).resolve().parents[2]
SDK_SOURCE = ROOT / "plugins" / "resonance-sdk"
FEED_SOURCE = ROOT / "plugins" / "examples" / "feed"


def test_sdk_version_is_the_distributions_version() -> None:
    assert importlib.metadata.version("resonance-sdk") == resonance_sdk.SDK_VERSION
    assert plugins.sdk.SDK_VERSION == resonance_sdk.SDK_VERSION


def test_the_changelog_has_the_current_version() -> None:
    changelog = (SDK_SOURCE / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## {resonance_sdk.SDK_VERSION}" in changelog


def test_plugins_sdk_is_an_alias_of_the_same_objects() -> None:
    for alias, module in ((plugins.sdk, resonance_sdk), (plugins.sdk.testing, resonance_sdk.testing)):
        assert alias.__all__ == module.__all__
        for name in module.__all__:
            assert getattr(alias, name) is getattr(module, name), f"{alias.__name__}.{name} is another object"


def test_the_sdk_declares_no_dependency_on_the_service() -> None:
    declared = tomllib.loads((SDK_SOURCE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    feed = tomllib.loads((FEED_SOURCE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [
        *declared["dependencies"],
        *[req for extra in declared["optional-dependencies"].values() for req in extra],
        *feed["dependencies"],
        *[req for extra in feed["optional-dependencies"].values() for req in extra],
    ]
    assert "resonance" not in {Requirement(req).name for req in requirements}


def lent_distributions(roots: list[str]) -> set[importlib.metadata.Distribution]:
    """The installed distributions these requirements need, transitively (extras and markers honoured)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    pending = [Requirement(root) for root in roots]
    while pending:
        requirement = pending.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in found or name in {"resonance-sdk", "resonance"}:
            continue
        distribution = importlib.metadata.distribution(name)
        found[name] = distribution
        for line in distribution.requires or []:
            needed = Requirement(line)
            for extra in requirement.extras or {""}:
                if needed.marker is None or needed.marker.evaluate({"extra": extra}):
                    pending.append(needed)
                    break
    return set(found.values())


def lend(distribution: importlib.metadata.Distribution, into: Path) -> Path:
    """A folder holding only this distribution's installed files (as links), to put on a `sys.path`."""
    folder = into / distribution.metadata["Name"]
    for file in distribution.files or []:
        source = Path(str(distribution.locate_file(file))).resolve()
        if file.parts[0] == ".." or not source.is_file():
            continue  # console scripts live outside site-packages; nothing of them is imported
        target = folder / file
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(source)
    return folder


def sdk_requirements() -> list[str]:
    """What the SDK (with its kit), the example plugin and the build need, as requirement strings."""
    sdk = tomllib.loads((SDK_SOURCE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    feed = tomllib.loads((FEED_SOURCE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    build = tomllib.loads((SDK_SOURCE / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"]
    return [*sdk["dependencies"], *sdk["optional-dependencies"]["testing"], *feed["dependencies"], *build]


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.timeout(900)
def test_the_example_plugin_installs_and_passes_its_tests_with_only_the_sdk(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site_packages = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp_path, {}).strip()
    )
    lent = tmp_path / "lent"
    folders = [lend(distribution, lent) for distribution in lent_distributions(sdk_requirements())]
    folders.append(lend(importlib.metadata.distribution("pip"), lent))
    (site_packages / "lent.pth").write_text("".join(f"{folder}\n" for folder in folders), encoding="utf-8")

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PIP_NO_INDEX": "1",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    # Copies of the sources, so the build's own folders (build/, *.egg-info) never land in the repository.
    junk = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    sdk_copy, feed_copy = tmp_path / "resonance-sdk", tmp_path / "feed"
    shutil.copytree(SDK_SOURCE, sdk_copy, ignore=junk)
    shutil.copytree(FEED_SOURCE, feed_copy, ignore=junk)
    # No network, no build isolation: the build backend is the lent setuptools, the dependencies the lent ones.
    run(
        [str(python), "-m", "pip", "install", "-q", "--no-build-isolation", str(sdk_copy), str(feed_copy)],
        tmp_path,
        env,
    )

    # Run from outside the repository, so nothing of the service is found in the working directory.
    probe = (
        "import importlib.metadata, importlib.util, resonance_feed, resonance_sdk;"
        "assert importlib.metadata.version('resonance-sdk') == resonance_sdk.SDK_VERSION;"
        "missing = [m for m in ('api', 'tenants', 'plugins') if importlib.util.find_spec(m) is None];"
        "assert missing == ['api', 'tenants', 'plugins'], missing;"
        "names = {d.metadata['Name'] for d in importlib.metadata.distributions()};"
        "assert 'resonance' not in names, names"
    )
    run([str(python), "-c", probe], tmp_path, env)
    output = run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(feed_copy / "tests")],
        tmp_path,
        env,
    )
    assert " passed" in output
    assert "failed" not in output

    # The connector template works there too: a generated package passes its own tests with the SDK alone.
    run([str(python), "-m", "resonance_sdk.template", "pebble", "--directory", str(tmp_path)], tmp_path, env)
    generated = tmp_path / "resonance-pebble"
    output = run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        generated,
        {**env, "PYTHONPATH": str(generated)},
    )
    assert " passed" in output
    assert "failed" not in output
