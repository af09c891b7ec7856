# The browser fixtures (a Chromium page that fails on Content-Security-Policy violations) for test_csp.py.
from tests.browser.conftest import page, screenshot  # noqa: F401
