"""Debian's Chromium driven by Playwright, as every browser test here uses it.

Playwright's own browser download is never used (the machine has no internet); the flags
keep Chromium from reaching for Google's services, which a closed network refuses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed")


@contextmanager
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A headless Chromium for one test, closed afterwards."""
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by
    # the test itself around it are safe here (one thread, no concurrent use).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        try:
            yield browser
        finally:
            browser.close()
