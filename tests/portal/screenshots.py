"""Screenshots of the portal's main pages for the docs: `python -m tests.portal.screenshots [FOLDER]`.

Seeds the demo agency with the demo's own command on a temporary SQLite file (as tests/bench/portal.py does),
serves it, and drives Debian's Chromium (RESONANCE_TEST_CHROMIUM, else `chromium` on the PATH) through the pages
as the agency's owner and as the client viewer, saving one PNG per page in FOLDER (default docs/screenshots).
Run it again after a visible change of a page and commit the pictures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.bench import common
from tests.bench.common import say
from tests.bench.portal import DEMO_OWNER, demo_env, seed

DEMO_VIEWER = "viewer@demo-agency.example"
FOLDER = common.ROOT / "docs" / "screenshots"
OWNER_PAGES = (
    ("clients", "/portal/"),
    ("subscription", "/portal/subscription"),
    ("alerts", "/portal/alerts"),
    ("api-keys", "/portal/api-keys"),
    ("webhooks", "/portal/webhooks"),
    ("brand", "/portal/brand"),
)
"""Pages of the agency's owner, saved as <name>.png (a page this version has not is skipped with a line)."""


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/portal/sign-in")
    page.locator("#email").fill(email)  # by id: the page may be in French
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")
    page.wait_for_load_state("networkidle")


def shoot(page: Page, folder: Path, name: str, path: str) -> None:
    answer = page.goto(path)
    if answer is None or answer.status != 200:
        say(f"skipped {path}: it answered {answer.status if answer else 'nothing'}")
        return
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    say(f"saved {name}.png ({path})")


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    executable = os.environ.get("RESONANCE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    with tempfile.TemporaryDirectory(prefix="resonance-screenshots-") as scratch:
        env = demo_env(f"sqlite:///{scratch}/demo.db")
        _key, password = seed(env, 180)
        with (
            common.uvicorn_process("api.app:create_app", env, label="the demo's service") as served,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            context = browser.new_context(base_url=served.base, locale="en-GB", viewport={"width": 1280, "height": 900})
            page = context.new_page()
            shoot(page, folder, "sign-in", "/portal/sign-in")
            sign_in(page, DEMO_OWNER, password)
            first_client = page.locator("a[href^='/portal/clients/']").first.get_attribute("href")
            for name, path in OWNER_PAGES:
                shoot(page, folder, name, path)
            if first_client:
                shoot(page, folder, "dashboard", first_client)
                shoot(page, folder, "client-viewers", f"{first_client}/viewers")
            context.close()
            viewer = browser.new_context(base_url=served.base, locale="fr-FR", viewport={"width": 1280, "height": 900})
            page = viewer.new_page()
            sign_in(page, DEMO_VIEWER, password)
            page.screenshot(path=str(folder / "client-viewer-dashboard-fr.png"), full_page=True)
            say("saved client-viewer-dashboard-fr.png (the client viewer's dashboard, in French)")
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
