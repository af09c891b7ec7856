"""Playwright against Debian's Chromium (the session `chromium` fixture in tests/conftest.py) and pytest-django's
live server. Never `playwright install`."""
import itertools
from pathlib import Path

import pytest
from django.conf import settings


# Every page a browser test opens reports Content-Security-Policy violations; a test with any fails (issue 14.4).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 950})
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.console_errors = []
    page.csp_violations = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    yield page
    _collect(page)
    context.close()
    csp = [e for e in page.console_errors if "Content Security Policy" in e] + page.csp_violations
    assert not csp, f"Content-Security-Policy violations: {csp}"


def _collect(page):
    """Violations recorded by the page so far (read before a navigation replaces the document)."""
    try:
        page.csp_violations.extend(page.evaluate("window.__cspViolations ? window.__cspViolations.splice(0) : []"))
    except Exception:  # the page is mid-navigation or closed: its console errors still count
        pass


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
