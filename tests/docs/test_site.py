"""The documentation site builds with `mkdocs build --strict`: a broken link or anchor, a missing image or
snippet, or a page left out of the navigation fails the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.docs.fences import DOCS, ROOT


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", "mkdocs.yml", "--site-dir", str(site)],
        cwd=ROOT,  # the snippets of docs/ are found from the repository's root (README.md)
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr}{result.stdout}"
    assert (site / "index.html").is_file()
    for page in DOCS.rglob("*.md"):
        relative = page.relative_to(DOCS).with_suffix("")
        built = site / (relative.parent if relative.name == "index" else relative) / "index.html"
        assert built.is_file(), f"docs/{page.relative_to(DOCS)} was not built into the site"


def test_the_webhook_snippet_is_included_from_the_readme() -> None:
    """The signature check is written once, in README.md, where its test runs it; the site includes it."""
    page = (DOCS / "integrations" / "webhooks.md").read_text(encoding="utf-8")
    assert '--8<-- "README.md:verify-signature"' in page
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--8<-- [start:verify-signature]" in readme
    assert "--8<-- [end:verify-signature]" in readme
