"""The import rules hold: the contracts of `[tool.importlinter]` in pyproject.toml, as `lint-imports` checks them.

DESIGN.md ("Layout") fixes the direction between the top-level packages (`api` → `tenants`, `plugins`;
`plugins` depends on nothing of ours; `tenants` does not import `api`); pyproject.toml adds the API's own floors
(entry points, app, portal, analytics, core contexts, infrastructure), controllers as leaves that only the app
factory imports, and service modules free of the HTTP framework. A broken contract fails here with
import-linter's report, which names each import and its line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SDK_SOURCE = ROOT / "plugins" / "resonance-sdk" / "src"

# In a process of its own, so the graph is built from this checkout's files (the SDK's too) whatever the test
# process imported, and without a cache that could outlive an edit.
_LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"


@pytest.mark.timeout(120)
def test_import_contracts_are_kept() -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(SDK_SOURCE)])}
    result = subprocess.run(
        [sys.executable, "-c", _LINT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
