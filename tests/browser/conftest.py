"""Playwright against Debian's Chromium and pytest-django's live server. Never `playwright install`."""
import itertools
import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import REQUIRE_SERVICES

# Playwright's sync API runs an event loop in this thread; the test still talks to the database directly.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (CI installs it; set STUDIO_REQUIRE_SERVICES=1 to fail instead)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # two shared cores: give htmx answers time under load

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 950})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves var/screenshots/<test>-<nn>-<name>.png (full page)."""
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    counter = itertools.count(1)

    def take(page, name: str) -> Path:
        path = folder / f"{request.node.name}-{next(counter):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
