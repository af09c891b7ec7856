"""Playwright against Debian's Chromium (the session `chromium` fixture in tests/conftest.py) and pytest-django's
live server. Never `playwright install`."""
import itertools
from pathlib import Path

import pytest
from django.conf import settings


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
