"""Portal helpers: members with passwords, signing in through the forms (CSRF included), a live server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Browser, Page, sync_playwright

from api.app import create_app
from tenants.ids import new_id
from tenants.models import Member
from tenants.passwords import hash_password
from tests.conftest import TestDatabase, make_settings

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class PortalMember:
    """A member who can sign in: its agency, e-mail and password."""

    tenant_id: uuid.UUID
    member_id: uuid.UUID
    email: str
    password: str


def add_member(
    client: TestClient[Litestar],
    tenant_id: str | uuid.UUID,
    *,
    role: str = "admin",
    client_id: str | uuid.UUID | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    locale: str | None = None,
) -> PortalMember:
    """A member of the agency with this password (a client viewer when `client_id` is given)."""
    tenant = uuid.UUID(str(tenant_id))
    email = email or f"{role}-{uuid.uuid4().hex[:6]}@example.com"
    member_id = new_id()
    database = client.app.state.services.database

    async def insert() -> None:
        async with database.tenant_session(tenant) as session:
            session.add(
                Member(
                    id=member_id,
                    tenant_id=tenant,
                    email=email,
                    role=role,
                    client_id=uuid.UUID(str(client_id)) if client_id else None,
                    password_hash=hash_password(password),
                    locale=locale,
                )
            )

    with client.portal() as portal:
        portal.call(insert)
    return PortalMember(tenant_id=tenant, member_id=member_id, email=email, password=password)


def csrf_token(client: TestClient[Litestar], path: str = "/portal/sign-in") -> str:
    """The form token of a portal page (getting it also sets the CSRF cookie)."""
    response = client.get(path)
    found = CSRF_FIELD.search(response.text)
    assert found, response.text
    return found.group(1)


def sign_in(client: TestClient[Litestar], member: PortalMember, *, next_path: str = "") -> None:
    """Sign in through the form, as a browser does."""
    token = csrf_token(client)
    response = client.post(
        "/portal/sign-in",
        data={"email": member.email, "password": member.password, "next": next_path, "_csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def form_post(
    client: TestClient[Litestar], path: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """POST a form with the CSRF token taken from `page` (default: the same path)."""
    token = csrf_token(client, page or path)
    return client.post(path, data={**data, "_csrf_token": token}, follow_redirects=False)


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Litestar


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


LiveServerFactory = Callable[..., LiveServer]


@pytest.fixture
def live_server_factory(database: TestDatabase) -> Iterator[LiveServerFactory]:
    """Start an app on the test's database, with settings overrides (`make_settings` keywords, e.g. the fake
    Stripe's `stripe_api_base`), served by uvicorn on a free local port, in a thread, for the browser; every server
    started stops at the end of the test."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**overrides: Any) -> LiveServer:
        app = create_app(make_settings(database, **overrides))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
        thread = threading.Thread(target=server.run, name="portal-live-server", daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive(), "the live server stopped while starting"
            assert time.monotonic() < deadline, "the live server did not start within 20 seconds"
            time.sleep(0.05)
        return LiveServer(url=f"http://127.0.0.1:{port}", app=app)

    try:
        yield start
    finally:
        for server, thread in servers:
            server.should_exit = True
            thread.join(timeout=20)


@pytest.fixture
def live_server(live_server_factory: LiveServerFactory) -> LiveServer:
    """An app on the test's database served by uvicorn on a free local port, in a thread, for the browser
    (tests put their data in through the `client` fixture's own app: each app keeps to its own event loop)."""
    return live_server_factory()


CHROMIUM_ENV = "RESONANCE_TEST_CHROMIUM"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (RESONANCE_TEST_CHROMIUM overrides its path).

    Module-scoped on purpose: Playwright's sync API keeps an event loop running on the main thread while it is
    open, and every asyncio test after it would fail with "cannot be called from a running event loop"; pytest
    tears a module's fixtures down before the next module's tests, so the loop is gone by then."""
    executable = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(executable).exists(), (
        f"no Chromium at {executable}: install Debian's chromium (`apt-get install chromium`, as .ci/run does) "
        f"or point {CHROMIUM_ENV} at one"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser tab (its own cookies) with the live server as its base URL; fails on a script error."""
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, f"the page raised script errors: {errors}"
